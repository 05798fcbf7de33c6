"""Making models: the training loop (`train`), distillation from a teacher (`distill`),
choosing a temperature and "not a digit" threshold on validation (`calibrate`), and the
figures a card records (`metrics`). May import everything below it — `nn`, `imaging`,
`data`, and the model (`model`, `card`, `io`) — and is imported only by the CLI."""
