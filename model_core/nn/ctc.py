"""Connectionist temporal classification (Graves et al. 2006): the loss of a sequence of
per-step scores against a shorter label sequence, with no alignment given, and its decoding.

Class 0 is the blank. A path of one class per step reads as a text by merging repeats and
dropping blanks; the loss is -log of the summed probability of every path that reads as the
target. It is computed by the forward-backward recursion over the target with a blank between
and around its labels (2U + 1 states), in log space, vectorised over the batch and the states,
each sample with its own input and target length: the one loop is over time.

    loss = CTCLoss(); loss.forward(logits (N, T, K), targets, input_lengths); loss.backward()
    best_path(log_probs (T, K)) → (labels, the step each was read at)
    beam_search(log_probs (T, K), width) → [(labels, log P(labels), steps), ...], best first
    log_likelihood(log_probs (T, K), labels) → log P(labels)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BLANK = 0
NEG = -1e30  # log(0), finite so that sums of it stay -inf-like without NaNs


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _lse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(exp a + exp b), elementwise, safe where both are NEG."""
    m = np.maximum(a, b)
    return m + np.log(np.exp(a - m) + np.exp(b - m))


class CTCLoss:
    """The mean over the batch of -log P(target | scores). `forward` takes raw scores (the
    softmax is the loss's own, so the gradient with respect to the scores is the stable
    softmax - posterior); a target no path of its input's length can read (too short an
    input) counts 0 and gets no gradient (PyTorch's zero_infinity)."""

    def forward(self, logits: np.ndarray, targets: list[list[int]] | list[np.ndarray], input_lengths) -> float:
        n, t_max, k = logits.shape
        lengths = np.asarray(input_lengths, np.int64)
        log_probs = log_softmax(logits.astype(np.float64) if logits.dtype == np.float64 else logits)
        u = np.array([len(target) for target in targets], np.int64)
        s_max = 2 * int(u.max(initial=0)) + 1
        # The extended targets: blank, l1, blank, l2, ..., blank; padding states are unreachable.
        ext = np.zeros((n, s_max), np.int64)
        for i, target in enumerate(targets):
            ext[i, 1 : 2 * len(target) : 2] = target
        states = 2 * u + 1
        valid = np.arange(s_max)[None, :] < states[:, None]
        # A state may be entered from two back when it holds a label unlike the one two back.
        skip = np.zeros((n, s_max), bool)
        skip[:, 2:] = (ext[:, 2:] != BLANK) & (ext[:, 2:] != ext[:, :-2])
        rows = np.arange(n)[:, None]
        emit = log_probs[rows, :, ext].transpose(0, 2, 1)  # (N, T, S): each state's label's log-probability
        dtype = log_probs.dtype
        alpha = np.full((n, t_max, s_max), NEG, dtype)
        alpha[:, 0, 0] = emit[:, 0, 0]
        alpha[:, 0, 1] = np.where(states > 1, emit[:, 0, 1], NEG)
        for t in range(1, t_max):
            prev = alpha[:, t - 1]
            a = _lse(prev, np.concatenate([np.full((n, 1), NEG, dtype), prev[:, :-1]], axis=1))
            two = np.concatenate([np.full((n, 2), NEG, dtype), prev[:, :-2]], axis=1)
            a = np.where(skip, _lse(a, two), a) + emit[:, t]
            alpha[:, t] = np.where(valid, a, NEG)
        last = np.maximum(lengths - 1, 0)
        end = alpha[np.arange(n), last]  # (N, S) at each sample's last step
        final = _lse(
            end[np.arange(n), states - 1], np.where(states > 1, end[np.arange(n), np.maximum(states - 2, 0)], NEG)
        )
        beta = np.full((n, t_max, s_max), NEG, dtype)
        start = np.full((n, s_max), NEG, dtype)
        start[np.arange(n), states - 1] = 0.0
        start[np.arange(n), np.maximum(states - 2, 0)] = np.where(states > 1, 0.0, start[np.arange(n), 0])
        # beta[t, s]: log P(the rest of the target from state s at step t), step t's emission included.
        nxt = np.full((n, s_max), NEG, dtype)
        skip_from = np.zeros((n, s_max), bool)  # state s may jump to s + 2
        skip_from[:, :-2] = skip[:, 2:]
        for t in range(t_max - 1, -1, -1):
            b = _lse(nxt, np.concatenate([nxt[:, 1:], np.full((n, 1), NEG, dtype)], axis=1))
            two = np.concatenate([nxt[:, 2:], np.full((n, 2), NEG, dtype)], axis=1)
            b = np.where(skip_from, _lse(b, two), b)
            b = np.where((t == last)[:, None], start, b)
            b = np.where(valid & (t <= last)[:, None], b + emit[:, t], NEG)
            beta[:, t] = b
            nxt = b
        feasible = final > NEG / 2
        self.loss_each = np.where(feasible, -final, 0.0)
        # d(-log P)/d logits = softmax - (Σ over states of label k of alpha·beta / emission) / P
        occupancy = alpha + beta - emit - np.where(feasible, final, 0.0)[:, None, None]
        weights = np.exp(np.minimum(occupancy, 0.0)) * (occupancy > NEG / 2)
        one_hot = np.zeros((n, s_max, k), dtype)
        one_hot[rows, np.arange(s_max)[None, :], ext] = valid
        posterior = np.matmul(weights, one_hot)  # each class's share: the states that hold it, summed
        in_time = (np.arange(t_max)[None, :] < lengths[:, None])[:, :, None]
        grad = (np.exp(log_probs) - posterior) * in_time * feasible[:, None, None]
        self.grad = (grad / n).astype(logits.dtype)
        self.log_probs = log_probs
        return float(self.loss_each.sum() / n)

    def backward(self) -> np.ndarray:
        return self.grad


def log_likelihood(log_probs: np.ndarray, target) -> float:
    """log P(target | scores) for one line's (T, K) log-probabilities: the loss's forward
    recursion alone, for a text found another way (a constrained search's, on the scores unmasked)."""
    log_probs = np.maximum(log_probs, NEG)
    if len(target) == 0:
        return float(log_probs[:, BLANK].sum())
    ext = np.zeros(2 * len(target) + 1, np.int64)
    ext[1::2] = target
    skip = np.zeros(len(ext), bool)
    skip[2:] = (ext[2:] != BLANK) & (ext[2:] != ext[:-2])
    alpha = np.full(len(ext), NEG)
    alpha[0], alpha[1] = log_probs[0, BLANK], log_probs[0, ext[1]]
    for t in range(1, len(log_probs)):
        one = _lse(alpha, np.concatenate([[NEG], alpha[:-1]]))
        alpha = np.where(skip, _lse(one, np.concatenate([[NEG, NEG], alpha[:-2]])), one) + log_probs[t, ext]
    return float(_lse(alpha[-1:], alpha[-2:-1])[0])


def best_path(log_probs: np.ndarray) -> tuple[list[int], list[int]]:
    """The most probable class at every step, repeats merged and blanks dropped: the labels,
    and the step at which each was first read."""
    best = log_probs.argmax(axis=1)
    labels, at, previous = [], [], BLANK
    for t, k in enumerate(best.tolist()):
        if k != previous and k != BLANK:
            labels.append(k)
            at.append(t)
        previous = k
    return labels, at


@dataclass
class Beam:
    blank: float  # log P(prefix, the last step a blank)
    label: float  # log P(prefix, the last step its last label)
    steps: tuple[int, ...]  # where each label of the prefix was read (its most probable step so far)
    peaks: tuple[float, ...]  # each label's log-probability at that step

    @property
    def total(self) -> float:
        return float(np.logaddexp(self.blank, self.label))


def _adder(beams: dict) -> Callable[..., None]:
    """A step's beams' merge: a prefix reached by several paths sums their probabilities and keeps
    the steps where its last label peaked highest."""

    def add(prefix, blank, label, steps, peaks):
        found = beams.get(prefix)
        if found is None:
            beams[prefix] = Beam(blank, label, steps, peaks)
            return
        found.blank = float(np.logaddexp(found.blank, blank))
        found.label = float(np.logaddexp(found.label, label))
        if peaks and (not found.peaks or peaks[-1] > found.peaks[-1]):
            found.steps, found.peaks = steps, peaks

    return add


PRUNE = np.log(1e-4)  # a class below this probability at a step is not tried there


def beam_search(
    log_probs: np.ndarray, width: int = 8, allowed=None, prune: float = PRUNE
) -> list[tuple[tuple[int, ...], float, tuple[int, ...]]]:
    """Prefix beam search: the `width` most probable texts (label tuples) with each one's log
    probability summed over its paths and the step each label peaked at, best first.
    `allowed(prefix, label)` may refuse a label after a prefix (a constraint on what may be
    written); classes under `prune` at a step are not tried there."""
    beams: dict[tuple[int, ...], Beam] = {(): Beam(0.0, NEG, (), ())}
    for t in range(len(log_probs)):
        row = log_probs[t]
        tried = [k for k in np.flatnonzero(row > prune).tolist() if k != BLANK]
        nxt: dict[tuple[int, ...], Beam] = {}
        add = _adder(nxt)
        for prefix, beam in beams.items():
            total = beam.total
            add(prefix, total + row[BLANK], NEG, beam.steps, beam.peaks)  # a blank: the same text
            if prefix:  # its last label again: the same text, unless a blank stood between
                last = prefix[-1]
                steps, peaks = beam.steps, beam.peaks
                if row[last] > peaks[-1]:
                    steps, peaks = (*steps[:-1], t), (*peaks[:-1], float(row[last]))
                add(prefix, NEG, beam.label + row[last], steps, peaks)
            for k in tried:
                if allowed is not None and not allowed(prefix, k):
                    continue
                extended = (*prefix, k)
                # after the same label, only a path through a blank writes it twice
                source = beam.blank if prefix and prefix[-1] == k else total
                add(extended, NEG, source + row[k], (*beam.steps, t), (*beam.peaks, float(row[k])))
        beams = dict(sorted(nxt.items(), key=lambda item: -item[1].total)[:width])
    ranked = sorted(beams.items(), key=lambda item: -item[1].total)
    return [(prefix, beam.total, beam.steps) for prefix, beam in ranked]
