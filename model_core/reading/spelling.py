"""From characters read one by one to words: where the spaces are, whether a word is written in
letters or in digits, and in which case.

- **Spaces**: a space stands between two characters whose ink lies apart by at least WORD_GAP
  of the line's tallest character's height (within a word letters stand closer; in a form's
  boxes, an empty cell between two is a space).
- **Letters or digits**: within a word, each character is a letter or a digit, chosen for the
  whole word at once: the most probable sequence of kinds, where changing kind between two
  neighbours costs SWITCH (a name is not "J0HN": an O read as a 0 with a little more
  probability stays an O; a code "AB12" whose digits are clearly digits stays "AB12").
- **Case**: the 47-character network tells a letter's case only for the eleven EMNIST keeps
  apart (a b d e f g h n q r t); the other fifteen are written alike in both cases. A word is
  in lower case when its case-telling letters say so on the whole (their probabilities of lower
  case against capital, averaged), in capitals otherwise (a word with none of them takes the
  line's case); a lower-case word whose first letter says capital is capitalised ("John").
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

WORD_GAP = 0.5
TALL_STROKE = 0.85  # a stroke this share of its word's tallest letter's height is an l, not an i
SWITCH = math.log(20.0)  # changing between letters and digits within a word: a 20:1 doubt


def folded(probabilities: np.ndarray, labels: list[str]) -> np.ndarray:
    """Each label's probability with both cases of its letter summed (a capital's and its lower
    case's column each hold the sum): how much a candidate looks like that letter, in either case."""
    out = probabilities.copy()
    index = {label: i for i, label in enumerate(labels)}
    for label, i in index.items():
        other = index.get(label.swapcase())
        if other is not None and other != i:
            out[:, i] = probabilities[:, i] + probabilities[:, other]
    return out


def word_gaps(boxes: list[tuple[int, int, int, int]]) -> list[bool]:
    """Whether a space stands between each two neighbouring characters (boxes x, y, w, h)."""
    if len(boxes) < 2:
        return []
    tallest = max(h for _, _, _, h in boxes)
    return [b[0] - (a[0] + a[2]) >= WORD_GAP * tallest for a, b in zip(boxes, boxes[1:], strict=False)]


def spelled(characters: list, probabilities: list[np.ndarray], labels: list[str], spaces: list[bool]):
    """The characters (reading.Character, left to right) relabelled as words (kind and case
    chosen word by word), each with its label's probability in either case as its confidence;
    and, for each, its best other label in the word's spelling (label, probability) or None."""
    raw = np.asarray(probabilities).reshape(len(characters), len(labels))
    digit = np.array([label.isdigit() for label in labels])
    caseless = folded(raw, labels)
    starts = [0] + [i + 1 for i, space in enumerate(spaces) if space]
    ends = starts[1:] + [len(characters)]
    kinds = np.zeros(len(characters), bool)  # True: a digit
    for a, b in zip(starts, ends, strict=True):
        kinds[a:b] = _kinds(caseless[a:b], digit)
    ranked = [np.argsort(-np.where(digit == k, p, -1.0), kind="stable") for k, p in zip(kinds, caseless, strict=True)]
    lower = _cases(raw, labels, [int(r[0]) for r in ranked], kinds, starts, ends)
    ranked = _strokes_by_height(ranked, characters, labels, lower, starts, ends)
    out, runners = [], []
    for i, character in enumerate(characters):
        best, second = int(ranked[i][0]), int(ranked[i][1])
        if labels[second].upper() == labels[best].upper():  # the same letter's other case
            second = int(ranked[i][2])
        in_case = lower[i]
        label = _in_case(labels[best], in_case)
        out.append(dataclasses.replace(character, label=label, confidence=float(caseless[i][best])))
        same_kind = digit[second] == kinds[i]
        runners.append((_in_case(labels[second], in_case), float(caseless[i][second])) if same_kind else None)
    return out, runners


def _strokes_by_height(ranked, characters, labels, lower, starts, ends):
    """A lone upright stroke is an I or an L to the network (EMNIST's writers wrote both so);
    in a lower-case word its height says which: an l stands as tall as the word's tallest
    letters, an i (its dot apart) lower."""
    strokes = {labels.index("I"), labels.index("L")}
    for a, b in zip(starts, ends, strict=True):
        tallest = max((c.box[3] for c in characters[a:b]), default=0)
        for i in range(a, b):
            if lower[i] and {int(ranked[i][0]), int(ranked[i][1])} == strokes:
                tall = characters[i].box[3] >= TALL_STROKE * tallest
                want = labels.index("L" if tall else "I")
                if int(ranked[i][0]) != want:
                    ranked[i] = np.concatenate(([want], [k for k in ranked[i] if k != want]))
    return ranked


def _in_case(label: str, lower: bool) -> str:
    return label.lower() if lower else label.upper()


def _kinds(caseless: np.ndarray, digit: np.ndarray) -> np.ndarray:
    """The most probable letter/digit sequence for one word (a two-state Viterbi)."""
    if len(caseless) == 0:
        return np.zeros(0, bool)
    emit = np.log(np.maximum(np.stack([caseless[:, ~digit].max(axis=1), caseless[:, digit].max(axis=1)], 1), 1e-9))
    cost = -emit[0]
    back = []
    for row in emit[1:]:
        stay, switch = cost, cost[::-1] + SWITCH
        came = switch < stay
        back.append(came)
        cost = np.minimum(stay, switch) - row
    kind = int(np.argmin(cost))
    kinds = [kind]
    for came in reversed(back):
        kind = 1 - kind if came[kind] else kind
        kinds.append(kind)
    return np.array(kinds[::-1], bool)


def _cases(raw: np.ndarray, labels: list[str], best: list[int], kinds, starts, ends) -> list[bool]:
    """For each character: whether it is written in lower case (its word's case; a lower-case
    word's first letter that says capital is one)."""
    index = {label: i for i, label in enumerate(labels)}

    def share_lower(i: int) -> float | None:  # this letter's probability of lower case against capital
        letter = labels[best[i]]
        lower, upper = index.get(letter.lower()), index.get(letter.upper())
        if kinds[i] or lower is None or upper is None or lower == upper:
            return None
        return float(raw[i][lower] / max(raw[i][lower] + raw[i][upper], 1e-9))

    shares = [[s for i in range(a, b) if (s := share_lower(i)) is not None] for a, b in zip(starts, ends, strict=True)]
    said = [float(np.mean(s)) > 0.5 for s in shares if s]
    line_lower = bool(said) and sum(said) > len(said) / 2
    out: list[bool] = []
    for (a, b), word in zip(zip(starts, ends, strict=True), shares, strict=True):
        word_lower = float(np.mean(word)) > 0.5 if word else line_lower
        first = share_lower(a) if b - a > 1 else None
        capitalised = word_lower and first is not None and first < 0.5
        out += [word_lower and not (capitalised and i == a) for i in range(a, b)]
    return out
