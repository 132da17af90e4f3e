"""The rank scores (latentspec/lwgan/core/_scoring.py): the weights of the terms, by name."""

from latentspec.lwgan.core._scoring import SCORE_TERMS, score_weights


def test_score_weights_are_named_for_every_term():
    weights = score_weights(0.3)
    assert set(weights) == set(SCORE_TERMS)
    assert weights["mmd"] == 0.3 and weights["reconstruction"] == 1.0
