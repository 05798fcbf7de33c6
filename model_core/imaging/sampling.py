"""Bilinear sampling of a batch of images at arbitrary points: what deskewing (preprocess)
and augmentation's random warps (data.augment) both do."""

from __future__ import annotations

import numpy as np

SIZE = 28  # the side of every network's input image


def bilinear_sample(images: np.ndarray, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
    """images[n, sy, sx] with bilinear interpolation; outside the image reads as 0."""
    n, h, w = images.shape
    padded = np.zeros((n, h + 2, w + 2), np.float32)
    padded[:, 1:-1, 1:-1] = images
    # Shift by the pad and clamp, so anything outside lands on the zero border.
    sy = np.clip(sy + 1, 0, h + 1 - 1e-4)
    sx = np.clip(sx + 1, 0, w + 1 - 1e-4)
    y0, x0 = np.floor(sy).astype(np.intp), np.floor(sx).astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, h + 1), np.minimum(x0 + 1, w + 1)
    wy, wx = (sy - y0).astype(np.float32), (sx - x0).astype(np.float32)
    flat = padded.reshape(n, -1)
    base = (np.arange(n) * (h + 2) * (w + 2))[:, None, None]
    stride = w + 2

    def at(yy, xx):
        return flat.ravel()[base + yy * stride + xx]

    top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx
    bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx
    return (top * (1 - wy) + bottom * wy).astype(np.float32)
