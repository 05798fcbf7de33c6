"""The neural-network library itself: layers with their forward and backward side by side
(`layers`), losses, optimisers and schedules (`optim`), a Sequential network built from a
spec and the named architectures (`network`), the inference form that folds and groups
networks (`compiled`), and the one thread pool (`parallel`). NumPy only: nothing here
imports another part of model_core."""
