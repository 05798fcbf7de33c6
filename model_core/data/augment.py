"""On-the-fly augmentation for (N, H, W) float32 batches in [0, 1], white ink on black.

Everything is vectorised over the batch: one random affine warp per image sampled
bilinearly in a single gather, and stroke-thickness changes by grey-level dilation or
erosion (a 3×3 max or min), blended in by a random amount so widths vary continuously.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..imaging.sampling import bilinear_sample


@dataclass(frozen=True)
class AugmentConfig:
    rotate_degrees: float = 12.0
    scale: tuple[float, float] = (0.85, 1.12)
    shear: float = 0.15
    shift_pixels: float = 2.5
    thicken_probability: float = 0.3
    thin_probability: float = 0.15

    def to_dict(self) -> dict:
        return asdict(self)


NO_AUGMENTATION = AugmentConfig(0.0, (1.0, 1.0), 0.0, 0.0, 0.0, 0.0)


def _neighbourhood(images: np.ndarray, reduce) -> np.ndarray:
    """Max or min over each pixel's 3×3 neighbourhood (edges padded with background)."""
    n, h, w = images.shape
    padded = np.zeros((n, h + 2, w + 2), images.dtype)
    padded[:, 1:-1, 1:-1] = images
    out = images.copy()
    for dy in range(3):
        for dx in range(3):
            out = reduce(out, padded[:, dy : dy + h, dx : dx + w])
    return out


def change_thickness(images: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    n = len(images)
    roll = rng.random(n)
    thicken = roll < config.thicken_probability
    thin = (roll >= config.thicken_probability) & (roll < config.thicken_probability + config.thin_probability)
    out = images
    amount = rng.uniform(0.4, 1.0, size=(n, 1, 1)).astype(np.float32)
    if thicken.any():
        dilated = _neighbourhood(images[thicken], np.maximum)
        out = out.copy()
        out[thicken] = images[thicken] + amount[thicken] * (dilated - images[thicken])
    if thin.any():
        eroded = _neighbourhood(images[thin], np.minimum)
        out = out.copy() if out is images else out
        # Erosion can erase a thin stroke entirely, so never take more than half of it away.
        out[thin] = images[thin] + 0.5 * amount[thin] * (eroded - images[thin])
    return out


def random_affine(images: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """Rotate, scale, shear and shift each image about its centre by a random amount."""
    n, h, w = images.shape
    angle = np.deg2rad(rng.uniform(-config.rotate_degrees, config.rotate_degrees, n))
    scale = rng.uniform(*config.scale, n)
    shear = rng.uniform(-config.shear, config.shear, n)
    shift = rng.uniform(-config.shift_pixels, config.shift_pixels, (n, 2))
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    # Inverse map: for each output pixel, where to read in the source (rotation·shear, scaled).
    a = np.stack([np.stack([cos, -sin + cos * shear], -1), np.stack([sin, cos + sin * shear], -1)], -2)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    grid = np.stack([ys.ravel() - cy, xs.ravel() - cx])  # (2, H*W)
    src = a @ grid  # (N, 2, H*W)
    sy = src[:, 0] + cy - shift[:, :1]
    sx = src[:, 1] + cx - shift[:, 1:]
    return bilinear_sample(images, sy.reshape(n, h, w), sx.reshape(n, h, w))


def augment(images: np.ndarray, rng: np.random.Generator, config: AugmentConfig = AugmentConfig()) -> np.ndarray:
    """A freshly augmented copy of a batch."""
    return np.clip(random_affine(change_thickness(images, rng, config), rng, config), 0.0, 1.0)
