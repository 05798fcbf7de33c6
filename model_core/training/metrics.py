"""Classification metrics: accuracy, confusion matrix, per-class precision and recall."""

from __future__ import annotations

import numpy as np

from ..data.datasets import as_float_images


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """counts[t, p] = how many samples of true class t were predicted as p."""
    flat = np.asarray(y_true, np.int64) * num_classes + np.asarray(y_pred, np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict:
    """Accuracy, per-class precision/recall/support and the confusion matrix, as plain data."""
    cm = confusion_matrix(y_true, y_pred, len(labels))
    correct = np.diag(cm)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, correct / predicted, 0.0)
        recall = np.where(support > 0, correct / support, 0.0)
    return {
        "accuracy": float(correct.sum() / max(1, cm.sum())),
        "samples": int(cm.sum()),
        "per_class": [
            {"label": label, "precision": float(p), "recall": float(r), "support": int(s)}
            for label, p, r, s in zip(labels, precision, recall, support, strict=True)
        ],
        "confusion_matrix": cm.tolist(),
    }


def format_report(report: dict) -> str:
    """A human-readable rendering of `classification_report`'s output."""
    lines = [
        f"accuracy: {report['accuracy'] * 100:.2f}% of {report['samples']}",
        "",
        "label  precision  recall  support",
    ]
    for row in report["per_class"]:
        lines.append(
            f"{row['label']:>5}  {row['precision'] * 100:8.2f}%  {row['recall'] * 100:6.2f}%  {row['support']:7d}"
        )
    labels = [row["label"] for row in report["per_class"]]
    width = max(5, max(len(str(v)) for r in report["confusion_matrix"] for v in r) + 1)
    lines += [
        "",
        "confusion matrix (rows: true, columns: predicted)",
        "     " + "".join(f"{x:>{width}}" for x in labels),
    ]
    for label, row in zip(labels, report["confusion_matrix"], strict=True):
        lines.append(f"{label:>5}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


def evaluate(model, dataset) -> dict:
    """`classification_report` of a model (anything with `predict` and `labels`) on a Dataset."""
    return classification_report(dataset.labels, model.predict(as_float_images(dataset.images)), model.labels)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE (Guo et al. 2017): how far confidence is from accuracy, averaged over `bins`
    equal-width confidence bins weighted by how many predictions fall in each."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(float(correct[inside].mean()) - float(confidence[inside].mean()))
    return total
