"""Ruled and squared paper: thin straight lines that cross most of the page in a regular
family, found on the ink mask and taken out of it where they run, through the digit too."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LINE_ANGLES = np.deg2rad(np.arange(-12.0, 12.01, 0.5))  # ruled lines, as a photo may tilt them
LINE_COVER = 0.55  # a line covers at least this share of the image across
LINE_SCALE = 256  # line search on the mask downscaled to this long side
RULING_LINES = 3  # a ruling has at least this many lines


@dataclass(frozen=True)
class Line:
    """A straight line across the image: y·cos(angle) − x·sin(angle) = offset ± half_width."""

    angle: float
    offset: float
    half_width: float

    def band(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The pixels within half_width of the line, as (rows, columns)."""
        height, width = shape
        cos, sin = np.cos(self.angle), np.sin(self.angle)
        reach = np.arange(-np.ceil(self.half_width), np.ceil(self.half_width) + 1)
        if abs(cos) >= abs(sin):  # mostly horizontal: for each column, the rows across the line
            xs = np.arange(width)[None, :].repeat(len(reach), 0)
            ys = np.rint((self.offset + xs * sin) / cos + reach[:, None] / abs(cos)).astype(np.int64)
        else:
            ys = np.arange(height)[None, :].repeat(len(reach), 0)
            xs = np.rint((ys * cos - self.offset) / sin + reach[:, None] / abs(sin)).astype(np.int64)
        inside = (ys >= 0) & (ys < height) & (xs >= 0) & (xs < width)
        return ys[inside], xs[inside]

    def erase(self, mask: np.ndarray, darkness: np.ndarray, threshold: float) -> None:
        """Take the line's darkness out of the image and the line out of the mask; a stroke
        that crosses the line keeps what is darker than the line."""
        ys, xs = self.band(mask.shape)
        on_line = mask[ys, xs]
        if not on_line.any():
            return
        level = float(np.percentile(darkness[ys, xs][on_line], 75))
        darkness[ys, xs] = np.maximum(darkness[ys, xs] - level, 0.0)
        mask[ys, xs] = darkness[ys, xs] > threshold


def ruled_lines(mask: np.ndarray) -> list[Line]:
    """A family of parallel straight lines each crossing most of the image (ruled paper, or
    both families of squared paper), found by projecting the ink along slightly tilted
    directions (a small Hough transform). A single line is not a family: a lone long stroke
    may be a digit's, and a page's edge is dropped later as a piece apart from the digit."""
    height, width = mask.shape
    factor = max(1, int(np.ceil(max(height, width) / LINE_SCALE)))
    small = any_in_blocks(mask[: height // factor * factor, : width // factor * factor], factor)
    ys, xs = np.nonzero(small)
    if ys.size == 0:
        return []
    found = []
    for turn, across in ((0.0, small.shape[1]), (np.pi / 2, small.shape[0])):  # rows, then columns
        best = strongest_direction(ys, xs, LINE_ANGLES + turn, turn, across)
        if best is None:
            continue
        angle, peaks = best
        runs = np.split(peaks, np.flatnonzero(np.diff(peaks) > 1) + 1)  # adjacent offsets: one line
        if not is_ruling(runs):
            continue
        for run in runs:
            coarse = (run[0] + run[-1]) / 2 * factor + (factor - 1) / 2 * (np.cos(angle) - np.sin(angle))
            found.append(refined(mask, Line(float(angle), float(coarse), (len(run) / 2 + 1) * factor)))
    return found


def any_in_blocks(mask: np.ndarray, factor: int) -> np.ndarray:
    """Whether each factor×factor block of `mask` holds any ink (its sides multiples of
    `factor`): strided ORs, 20× faster than .any() over a reshaped view's two axes."""
    rows = mask[0::factor].copy()
    for i in range(1, factor):
        rows |= mask[i::factor]
    blocks = rows[:, 0::factor].copy()
    for j in range(1, factor):
        blocks |= rows[:, j::factor]
    return blocks


def strongest_direction(
    ys: np.ndarray, xs: np.ndarray, angles: np.ndarray, turn: float, across: int
) -> tuple[float, np.ndarray] | None:
    """Of the directions `angles`, the first with the most offsets along which the ink points
    (ys, xs) cover LINE_COVER of the image across, and those offsets; None when none does.
    All the angles' projections are counted together (a row of counts each, one bincount per
    batch of angles): a loop over the angles cost a photo 5 ms of NumPy calls."""
    cos = np.array([np.cos(a) for a in angles])  # each as a scalar, as the projections always were
    sin = np.array([np.sin(a) for a in angles])
    need = np.array([LINE_COVER * across / max(abs(np.cos(a - turn)), 0.5) for a in angles])
    step = max(1, (1 << 21) // max(1, ys.size))  # angles at a time: a few MB of projections
    best: tuple[int, float, np.ndarray] | None = None
    for start in range(0, len(angles), step):
        part = slice(start, start + step)
        offsets = np.rint(ys[None, :] * cos[part, None] - xs[None, :] * sin[part, None]).astype(np.int64)
        low = offsets.min(axis=1)
        offsets -= low[:, None]
        width = int(offsets.max()) + 1
        offsets += np.arange(len(offsets))[:, None] * width
        counts = np.bincount(offsets.ravel(), minlength=len(offsets) * width).reshape(len(offsets), width)
        hits = counts >= need[part, None]
        sizes = hits.sum(axis=1)
        k = int(sizes.argmax())
        if sizes[k] and (best is None or sizes[k] > best[0]):
            best = (int(sizes[k]), angles[start + k], np.flatnonzero(hits[k]) + low[k])
    return None if best is None else (best[1], best[2])


def is_ruling(runs: list[np.ndarray]) -> bool:
    """Whether lines found across the image (each a run of adjacent offsets) are a ruling:
    at least RULING_LINES of them, every one thin, evenly spaced. A brush stroke is thick, and
    a digit's long strokes are one or two, never a regular family."""
    if len(runs) < RULING_LINES or max(len(run) for run in runs) > 2:
        return False
    gaps = np.diff([run.mean() for run in runs])
    return float(gaps.std()) <= 0.25 * float(gaps.mean())


def refined(mask: np.ndarray, line: Line) -> Line:
    """A line found on the downscaled mask, fitted again at full size: the angle (within the
    coarse step) and offset where its pixels line up best, and its real width."""
    ys, xs = line.band(mask.shape)
    on = mask[ys, xs]
    ys, xs = ys[on].astype(np.float64), xs[on].astype(np.float64)
    if ys.size < 8:
        return line
    best = (0.0, line)
    for angle in line.angle + np.deg2rad(np.arange(-0.3, 0.301, 0.05)):
        offsets = ys * np.cos(angle) - xs * np.sin(angle)
        bins = np.floor((offsets - offsets.min()) * 2).astype(np.int64)  # half-pixel bins
        counts = np.bincount(bins)
        peak = int(counts.argmax())
        if counts[peak] > best[0]:
            wide = np.flatnonzero(counts >= 0.25 * counts[peak])
            wide = wide[(wide >= peak - 8) & (wide <= peak + 8)]
            centre = offsets.min() + (wide[0] + wide[-1] + 1) / 4
            best = (float(counts[peak]), Line(float(angle), float(centre), (wide[-1] - wide[0] + 1) / 4 + 1.0))
    return best[1]
