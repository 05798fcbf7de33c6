"""Augmentation: seeded, in range, and what each kind changes."""

import numpy as np

from model_core.data.augment import AugmentConfig, augment


def test_augmentation_is_seeded_and_keeps_range_and_shape():
    images = np.zeros((8, 28, 28), np.float32)
    images[:, 8:20, 12:16] = 1.0
    a = augment(images, np.random.default_rng(1))
    b = augment(images, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == images.shape and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert not np.allclose(a, images)
    # The ink survives: nothing is pushed off the canvas or erased.
    assert (a.sum(axis=(1, 2)) > 0.5 * images.sum(axis=(1, 2))).all()


def test_thickness_augmentation_changes_ink_amount():
    images = np.zeros((200, 28, 28), np.float32)
    images[:, 6:22, 13:15] = 1.0
    only_thickness = AugmentConfig(0.0, (1.0, 1.0), 0.0, 0.0, 0.5, 0.5)
    ink = augment(images, np.random.default_rng(0), only_thickness).sum(axis=(1, 2))
    assert ink.max() > images[0].sum() * 1.3 and ink.min() < images[0].sum() * 0.9
