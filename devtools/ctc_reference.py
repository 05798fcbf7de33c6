"""Stores PyTorch's CTC loss and its gradient on small random cases, once, for
tests/library/nn/test_ctc.py to hold our own CTC to without PyTorch (a reference only, never a
runtime dependency: `pip install torch==2.13.0`):

    python -m devtools.ctc_reference   # rewrites tests/fixtures/ctc_reference.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ctc_reference.json"


def cases() -> list[dict]:
    """Random scores with per-sample input and target lengths: repeats, an empty target, and a
    target too long for its input (infinite loss, zeroed)."""
    rng = np.random.default_rng(45)
    out = []
    for n, t, k in [(4, 10, 5), (3, 16, 12), (5, 7, 4)]:
        logits = rng.standard_normal((n, t, k)).round(4) * 2
        lengths = [int(v) for v in rng.integers(max(1, t // 2), t + 1, n)]
        lengths[0] = t
        targets = [rng.integers(1, k, int(rng.integers(0, max(1, lengths[i] // 2) + 1))).tolist() for i in range(n)]
        targets[-1] = [1, 1, 2] if lengths[-1] >= 4 else [1]
        if n > 3:
            targets[1] = [1] * (lengths[1] + 1)  # cannot be read in its input: infinite
        out.append({"logits": logits.tolist(), "lengths": lengths, "targets": targets})
    return out


def reference(case: dict) -> dict:
    import torch

    x = torch.tensor(case["logits"], dtype=torch.float64, requires_grad=True)
    targets = case["targets"]
    log_probs = x.log_softmax(-1).transpose(0, 1)
    flat = torch.tensor([c for target in targets for c in target], dtype=torch.long)
    each = torch.nn.functional.ctc_loss(
        log_probs,
        flat,
        torch.tensor(case["lengths"]),
        torch.tensor([len(target) for target in targets]),
        blank=0,
        reduction="none",
        zero_infinity=True,
    )
    (each.sum() / len(targets)).backward()
    return {"loss_each": each.tolist(), "grad": x.grad.numpy().tolist()}


def main() -> None:
    stored = [{**case, **reference(case)} for case in cases()]
    OUT.write_text(json.dumps(stored) + "\n")
    print(f"{len(stored)} cases written to {OUT}")


if __name__ == "__main__":
    main()
