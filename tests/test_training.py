"""The training phases: the adversarial game, divergence, mixed precision."""

import numpy as np
import pytest
import torch

from latentspec import LWGANEstimator, TrainingDiverged


@pytest.mark.parametrize("rank_sampling", ["per_sample", "per_iteration"])
def test_adversarial_phase_runs_and_is_logged(tiny_params, s_curve, rank_sampling):
    """n_iter > 0 plays the LWGAN game; its losses appear in history_ and are finite."""
    est = LWGANEstimator(latent_dim=3, rank_sampling=rank_sampling, **{**tiny_params, "n_iter": 6}).fit(s_curve)
    phases = np.array(est.history_["phase"])
    adversarial = phases == "adversarial"
    assert adversarial.sum() >= 1
    for term in ("critic_gap", "gradient_penalty", "reconstruction", "mmd"):
        assert np.isfinite(np.array(est.history_[term])[adversarial]).all()
    assert set(phases) == {"warmup", "adversarial", "critic_refit"}


def test_divergence_is_reported(tiny_params, s_curve):
    """A learning rate that blows the losses up stops the fit with a clear error."""
    est = LWGANEstimator(latent_dim=2, **{**tiny_params, "n_warmup": 30, "learning_rate": 1e30})
    with pytest.raises(TrainingDiverged, match="diverged"):
        est.fit(s_curve * 1e20)


def test_bfloat16_training_is_mixed_precision_and_reproducible(tiny_params, s_curve):
    """precision='bfloat16' changes the arithmetic of training (not its API) and stays reproducible."""
    params = dict(latent_dim=2, **{**tiny_params, "n_warmup": 20})
    full = LWGANEstimator(**params).fit(s_curve)
    mixed = LWGANEstimator(precision="bfloat16", **params).fit(s_curve)
    again = LWGANEstimator(precision="bfloat16", **params).fit(s_curve)
    Z = mixed.transform(s_curve)
    assert Z.dtype == np.float64 and np.isfinite(Z).all()
    assert all(p.dtype == torch.float32 for p in mixed.module_.parameters())
    np.testing.assert_array_equal(again.transform(s_curve), Z)
    assert not np.array_equal(full.transform(s_curve), Z), "bfloat16 made no difference: autocast is not on"
