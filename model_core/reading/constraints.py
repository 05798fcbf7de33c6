"""What a field may hold, as a constraint on the line reader's beam search: the characters it
may hold (`allowed`, e.g. "0123456789"), a template (`DD/DD/DDDD`: D a digit, A a letter, any
other character itself) and a list of words (the text one of them). Letters match in either
case (the network files fifteen letters under their capital; spelling chooses the case).

The network's scores are masked to the labels the constraint can ever admit (and renormalised
over them and the blank), and the beam search refuses a label after a prefix the constraint
cannot continue (nn.ctc.beam_search's `allowed`); a text is a reading only when complete (a
template filled, a word ended). What is matched: for numbers, `allowed` and `words` the digits
(the marks . , - ' / are the line as written, not the text) and the template the line as
written; for words, the text, spaces, hyphens and apostrophes included.

    constraint = Constraint(allowed="0123456789")            # ValueError when malformed
    compiled = constraint.compile(labels, alphabet)          # the labels of a line network
    compiled.mask, compiled.admits(prefix, k), compiled.complete(prefix)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_WORDS = 2000
MAX_WORDS_BYTES = 32 * 1024
MAX_WORD = 64  # characters a word (a line's most) and a template may have
MAX_ALLOWED = 256
DIGITS = set("0123456789")


def fold(text: str) -> str:
    return text.upper()


@dataclass(frozen=True)
class Constraint:
    allowed: str | None = None
    template: str | None = None
    words: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.allowed is not None and not (0 < len(self.allowed) <= MAX_ALLOWED):
            raise ValueError(f"allowed must hold 1-{MAX_ALLOWED} characters")
        if self.template is not None and not (0 < len(self.template) <= MAX_WORD):
            raise ValueError(f"a template is 1-{MAX_WORD} characters")
        if len(self.words) > MAX_WORDS:
            raise ValueError(f"at most {MAX_WORDS} words; this list has {len(self.words)}")
        if sum(len(w.encode()) + 1 for w in self.words) > MAX_WORDS_BYTES:
            raise ValueError(f"the words may take at most {MAX_WORDS_BYTES // 1024} KB")
        if any(not w.strip() or len(w) > MAX_WORD for w in self.words):
            raise ValueError(f"each word is 1-{MAX_WORD} characters, not blank")

    @property
    def given(self) -> bool:
        return self.allowed is not None or self.template is not None or bool(self.words)

    def cost(self) -> int:
        """What the constraint adds to a line's price, in units (a 28×28's network evaluation):
        the second, constrained beam search, and a lexicon's prefixes (one unit a 200 words)."""
        return 0 if not self.given else 2 + len(self.words) // 200

    def compile(self, labels: list[str], alphabet: str) -> Compiled:
        return Compiled(self, labels, alphabet)

    def holds(self, text: str, written: str | None = None) -> bool:
        """Whether a reading's text (and its line as written) obeys the constraint."""
        written = text if written is None else written
        if self.allowed is not None and not all(fold(c) in {fold(a) for a in self.allowed} for c in text):
            return False
        if self.template is not None and not (
            len(written) == len(self.template)
            and all(_fits(t, fold(c)) for t, c in zip(self.template, written, strict=True))
        ):
            return False
        return not self.words or fold(text) in {fold(w) for w in self.words}


def _fits(slot: str, label: str) -> bool:
    """Whether a (folded) label fills a template's slot: D a digit, A a letter, else itself."""
    if slot == "D":
        return label in DIGITS
    if slot == "A":
        return label.isalpha()
    return fold(slot) == label


class Compiled:
    """A constraint over a line network's labels (class k + 1 is labels[k]; 0 the blank)."""

    def __init__(self, constraint: Constraint, labels: list[str], alphabet: str):
        self.constraint, self.labels, self.alphabet = constraint, [fold(x) for x in labels], alphabet
        # The labels that are not text: the numbers' marks (written, not read as the number).
        self.free = [alphabet == "digits" and x not in DIGITS for x in self.labels]
        allowed = None if constraint.allowed is None else {fold(a) for a in constraint.allowed}
        words = [fold(w) for w in constraint.words]
        self.words = set(words)
        self.prefixes = {w[:i] for w in words for i in range(len(w) + 1)}
        letters = set("".join(words))
        mask = np.ones(len(labels) + 1, bool)  # the blank always
        for k, label in enumerate(self.labels, start=1):
            ok = True
            if allowed is not None and not self.free[k - 1]:
                ok &= label in allowed
            if constraint.template is not None:
                ok &= any(_fits(slot, label) for slot in set(constraint.template))
            if words and not self.free[k - 1]:
                ok &= label in letters
            mask[k] = ok
        self.mask = mask
        self._state: dict[tuple[int, ...], tuple[str, str]] = {(): ("", "")}

    def _of(self, prefix: tuple[int, ...]) -> tuple[str, str]:
        """(the text, the line as written) a prefix of labels makes, folded."""
        known = self._state.get(prefix)
        if known is None:
            text, written = self._of(prefix[:-1])
            label = self.labels[prefix[-1] - 1]
            known = (text if self.free[prefix[-1] - 1] else text + label, written + label)
            self._state[prefix] = known
        return known

    def admits(self, prefix: tuple[int, ...], k: int) -> bool:
        if not self.mask[k]:
            return False
        text, written = self._of(prefix)
        label = self.labels[k - 1]
        template = self.constraint.template
        if template is not None and (len(written) >= len(template) or not _fits(template[len(written)], label)):
            return False
        return not self.words or self.free[k - 1] or text + label in self.prefixes

    def complete(self, prefix: tuple[int, ...]) -> bool:
        text, written = self._of(prefix)
        template = self.constraint.template
        if template is not None and len(written) != len(template):
            return False
        return not self.words or text in self.words

    def masked(self, log_probs: np.ndarray) -> np.ndarray:
        """The scores over the labels the constraint admits and the blank, renormalised."""
        out = np.where(self.mask[None, :], log_probs, -np.inf)
        top = out.max(axis=1, keepdims=True)
        return out - (top + np.log(np.exp(out - top).sum(axis=1, keepdims=True)))
