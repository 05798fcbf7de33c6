"""The 'not a digit' negatives: real letters only when given, never digit-like ones."""

import numpy as np


def test_negatives_take_real_letters_only_when_given_and_never_digit_like_ones():
    from model_core.data.negatives import DIGIT_LIKE, HANDWRITTEN_LETTERS, negatives

    assert not set(HANDWRITTEN_LETTERS) & (DIGIT_LIKE | set("DJQTILOSZ"))
    digits = np.zeros((4, 28, 28), np.uint8)
    digits[:, 6:22, 12:16] = 255  # bars, for the numbers
    letters = np.zeros((3, 28, 28), np.uint8)
    letters[:, 5:23, 5:23] = 200
    letters[:, 9:19, 9:19] = 0  # a square ring
    images, kinds = negatives(300, 5, digits, letters)
    assert images.shape == (300, 28, 28) and images.dtype == np.uint8
    assert {"handwritten", "hatching", "digits", "letter"} <= set(kinds)
    assert "handwritten" not in negatives(100, 5, digits)[1]
