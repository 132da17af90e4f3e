"""The rank scores (latentspec/lwgan/core/_scoring.py): the weights of the terms, by name."""

from latentspec.lwgan.core._scoring import SCORE_TERMS, score_weights


def test_score_weights_are_named_for_every_term():
    weights = score_weights(0.3)
    assert set(weights) == set(SCORE_TERMS)
    assert weights["mmd"] == 0.3 and weights["reconstruction"] == 1.0


def _scored(fitted, contenders, n_repeats=24):
    import numpy as np

    from latentspec.lwgan.core._device import make_generator
    from latentspec.lwgan.core._scoring import score_ranks

    data = fitted._to_tensor(fitted._train_rows)
    ranks = np.arange(1, fitted.latent_dim_ + 1)
    return score_ranks(fitted.module_, data, ranks, prior=fitted._prior(), n_repeats=n_repeats, batch=64,
                       lambda_mmd=1.0, rng=make_generator(3, fitted.device_), contenders=contenders, min_repeats=10)


def test_racing_scores_the_kept_ranks_as_without_racing_and_stops_the_others():
    """A rank dropped after repeat 10 gets NaN from then on; the others get the scores full scoring gives them."""
    import numpy as np

    from latentspec import LWGANEstimator
    from latentspec.datasets import make_s_curve_3d

    X = make_s_curve_3d(n_samples=300, random_state=0)
    fitted = LWGANEstimator(latent_dim=4, n_warmup=200, n_critic_refit=10, n_score_repeats=2, random_state=0,
                            encoder_layers=(32,), generator_layers=(32,), critic_layers=(32,), n_threads=1).fit(X)
    fitted._train_rows = X
    full, full_terms = _scored(fitted, None)
    asked = []

    def drop_rank_4_after_twelve(scores):
        asked.append(len(scores))
        keep = np.ones(scores.shape[1], dtype=bool)
        keep[3] = len(scores) < 12
        return keep

    raced, raced_terms = _scored(fitted, drop_rank_4_after_twelve)
    assert asked == list(range(10, 24))  # from min_repeats on, not after the last repeat
    assert np.isnan(raced[12:, 3]).all() and not np.isnan(raced[:12]).any() and not np.isnan(raced[:, :3]).any()
    np.testing.assert_allclose(raced[:, :3], full[:, :3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(raced[:12, 3], full[:12, 3], rtol=1e-5, atol=1e-6)
    for term in raced_terms:  # rank 4's mean term over its 12 repeats
        np.testing.assert_allclose(raced_terms[term][:3], full_terms[term][:3], rtol=1e-4, atol=1e-6)


def test_scoring_calls_back_between_repeats():
    """``between_repeats`` (a fit's thread governor) is called once after every evaluation, racing or not."""
    import numpy as np

    from latentspec import LWGANEstimator
    from latentspec.datasets import make_s_curve_3d
    from latentspec.lwgan._rank_selection import contenders
    from latentspec.lwgan.core._device import make_generator
    from latentspec.lwgan.core._scoring import score_ranks

    X = make_s_curve_3d(n_samples=200, random_state=0)
    fitted = LWGANEstimator(latent_dim=3, n_warmup=20, n_critic_refit=2, n_score_repeats=2, random_state=0,
                            encoder_layers=(16,), generator_layers=(16,), critic_layers=(16,), n_threads=1).fit(X)
    for racing in (None, contenders):
        calls = []
        score_ranks(fitted.module_, fitted._to_tensor(X), np.arange(1, 4), prior=fitted._prior(), n_repeats=12,
                    batch=64, lambda_mmd=1.0, rng=make_generator(3, fitted.device_), contenders=racing,
                    min_repeats=5, between_repeats=lambda calls=calls: calls.append(1))
        assert len(calls) == 12
