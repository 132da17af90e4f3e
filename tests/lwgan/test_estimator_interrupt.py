"""Interrupted fits keep a usable state and continue exactly; diverged fits leave nothing broken.

Through LWGANEstimator: what fit keeps after Ctrl-C or a divergence, and how warm_start continues it. The parts it
uses have direct tests of their own: the progress bar, rewind and FitInterrupted warning in test_fit_progress.py,
the Trainer's checkpoints and divergence checks in core/test_training.py.
"""

import pickle

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from latentspec import FitInterrupted, LWGANEstimator, TrainingDiverged
from latentspec.lwgan.core import _training
from latentspec.lwgan.core._model import LWGANModule

# Small enough to be quick, long enough for every phase to log several checkpoints.
SETTINGS = dict(
    latent_dim=3,
    n_warmup=40,
    n_iter=6,
    n_critic=1,
    n_critic_refit=30,
    encoder_layers=(16,),
    generator_layers=(16,),
    critic_layers=(16,),
    batch_size=32,
    n_score_repeats=3,
    random_state=0,
)


@pytest.fixture(autouse=True)
def checkpoint_every_logged_step(monkeypatch):
    """Checkpoints are at most once a second; these fits take less, so take one at every logged step."""
    monkeypatch.setattr(_training, "CHECKPOINT_SECONDS", 0.0)


@pytest.fixture(scope="module")
def reference(s_curve):
    """The same fit, never interrupted."""
    return LWGANEstimator(**SETTINGS).fit(s_curve)


def fail_on_call(monkeypatch, owner, name, call, error=KeyboardInterrupt):
    """Make ``owner.name`` raise ``error`` on its ``call``-th call (1-based); return the call counter."""
    original = getattr(owner, name)
    calls = {"n": 0}

    def patched(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise error()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, patched)
    return calls


def assert_same_model(a, b, X):
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert a.rank_ == b.rank_ and a.n_steps_ == b.n_steps_
    np.testing.assert_array_equal(a.rank_scores_["mean"], b.rank_scores_["mean"])
    for key in a.history_:
        np.testing.assert_array_equal(a.history_[key], b.history_[key], err_msg=key)


# Where to interrupt: warm-up step 25 (one reconstruction per step), the adversarial
# phase's 4th generator update, the critic refit's 27th update (it checkpoints every 25;
# the game makes 6 critic updates before it).
INTERRUPTIONS = {
    "warmup": (_training, "reconstruction_error", 25),
    "adversarial": (LWGANModule, "generator_loss", 4),
    "critic_refit": (LWGANModule, "critic_loss", 6 + 27),
}


@pytest.mark.parametrize("phase", list(INTERRUPTIONS))
def test_interrupted_fit_is_usable_and_continues_exactly(monkeypatch, s_curve, reference, phase):
    """Guards Ctrl-C: the last completed state is kept, usable, and warm_start continues it bit for bit."""
    owner, name, call = INTERRUPTIONS[phase]
    with monkeypatch.context() as patch:
        fail_on_call(patch, owner, name, call)
        est = LWGANEstimator(**SETTINGS)
        with pytest.warns(FitInterrupted, match="interrupted"), pytest.raises(KeyboardInterrupt):
            est.fit(s_curve)
    # Usable: a rank, finite codes and reconstructions, fewer steps than asked for.
    targets = {"warmup": 40, "adversarial": 6, "critic_refit": 30}
    assert 0 < est.n_steps_[phase] < targets[phase]
    Z = est.transform(s_curve)
    assert Z.shape == (len(s_curve), est.rank_) and np.isfinite(Z).all()
    assert np.isfinite(est.inverse_transform(Z)).all()
    assert len(est.history_["step"]) < len(reference.history_["step"])

    # It survives a pickle round trip, then continues to exactly the uninterrupted model.
    est = pickle.loads(pickle.dumps(est))
    est.set_params(warm_start=True).fit(s_curve)
    assert_same_model(est, reference, s_curve)


def test_interrupt_before_any_step_keeps_nothing(monkeypatch, s_curve):
    """An interrupt before the first checkpoint re-raises and leaves the estimator unfitted."""
    fail_on_call(monkeypatch, _training, "reconstruction_error", 1)
    est = LWGANEstimator(**SETTINGS)
    with pytest.raises(KeyboardInterrupt):
        est.fit(s_curve)
    assert not hasattr(est, "module_") and not hasattr(est, "n_features_in_")
    with pytest.raises(NotFittedError):
        est.transform(s_curve)


def test_interrupt_while_scoring_keeps_the_trained_networks(monkeypatch, s_curve, reference):
    """Interrupted while scoring ranks: not usable yet, and warm_start scores without retraining."""
    with monkeypatch.context() as patch:
        fail_on_call(patch, LWGANModule, "rank_terms", 2)
        est = LWGANEstimator(**SETTINGS)
        with pytest.warns(FitInterrupted, match="scored"), pytest.raises(KeyboardInterrupt):
            est.fit(s_curve)
    assert est.n_steps_ == reference.n_steps_
    with pytest.raises(NotFittedError):
        est.transform(s_curve)
    calls = fail_on_call(monkeypatch, _training, "reconstruction_error", -1)
    est.set_params(warm_start=True).fit(s_curve)
    assert calls["n"] == 0, "a warm start after a complete training must not train again"
    assert_same_model(est, reference, s_curve)


def test_warm_start_trains_further_when_asked(s_curve, reference):
    """Raising a step count with warm_start continues from the fitted state, keeping its history."""
    est = pickle.loads(pickle.dumps(reference))
    est.set_params(warm_start=True, n_critic_refit=50).fit(s_curve)
    assert est.n_steps_ == {"warmup": 40, "adversarial": 6, "critic_refit": 50}
    n = len(reference.history_["step"])
    assert est.history_["step"][:n] == reference.history_["step"]
    assert est.history_["phase"][n:] == ["critic_refit"] * (len(est.history_["step"]) - n)


@pytest.mark.parametrize(
    "change, match",
    [({"encoder_layers": (8,)}, "encoder_layers"), ({"latent_dim": 2}, "latent_dim"),
     ({"whiten": False}, "whiten=False"), ({"standardize": True}, "standardize=True")],
)
def test_warm_start_refuses_other_networks(s_curve, reference, change, match):
    """A warm start whose parameters no longer fit the networks names them; the model is kept."""
    est = pickle.loads(pickle.dumps(reference))
    before = est.transform(s_curve)
    with pytest.raises(ValueError, match=match):
        est.set_params(warm_start=True, **change).fit(s_curve)
    np.testing.assert_array_equal(est.transform(s_curve), before)


def test_warm_start_refuses_other_features(s_curve, reference):
    est = pickle.loads(pickle.dumps(reference)).set_params(warm_start=True)
    with pytest.raises(ValueError, match="features"):
        est.fit(s_curve[:, :2])


def nan_on_call(call):
    """A reconstruction error that is NaN from its ``call``-th call on."""
    original = _training.reconstruction_error
    calls = {"n": 0}

    def patched(x, x_rec):
        calls["n"] += 1
        error = original(x, x_rec)
        return error * float("nan") if calls["n"] >= call else error

    return patched


def test_divergence_names_the_step_and_leaves_no_fitted_state(monkeypatch, s_curve):
    """Guards divergence: the error names phase and step; a fresh estimator stays unfitted."""
    monkeypatch.setattr(_training, "reconstruction_error", nan_on_call(12))
    est = LWGANEstimator(**SETTINGS)
    with pytest.raises(TrainingDiverged, match=r"warmup phase at step 11.*learning_rate"):
        est.fit(s_curve)
    assert not hasattr(est, "module_")
    with pytest.raises(NotFittedError):
        est.transform(s_curve)


def test_divergence_in_a_warm_start_keeps_the_previous_model(monkeypatch, s_curve, reference):
    """A diverged continuation restores the fitted model as it was: no NaN weight is ever kept."""
    est = pickle.loads(pickle.dumps(reference))
    before = est.transform(s_curve)
    monkeypatch.setattr(_training, "reconstruction_error", nan_on_call(1))
    with pytest.raises(TrainingDiverged, match="warmup"):
        est.set_params(warm_start=True, n_warmup=60).fit(s_curve)
    np.testing.assert_array_equal(est.transform(s_curve), before)
    assert est.n_steps_ == reference.n_steps_
    assert all(np.isfinite(p.detach().cpu().numpy()).all() for p in est.module_.parameters())


def test_non_finite_weights_are_caught_even_with_finite_losses(monkeypatch, s_curve):
    """Guards the final weight check: an inf weight after the last logged step fails the fit."""
    original = _training.Trainer.run

    def run_then_break_a_weight(self, *args):
        original(self, *args)
        next(self.module.generator.parameters()).data.fill_(float("inf"))

    monkeypatch.setattr(_training.Trainer, "run", run_then_break_a_weight)
    est = LWGANEstimator(**SETTINGS)
    with pytest.raises(TrainingDiverged, match="weights"):
        est.fit(s_curve)
    assert not hasattr(est, "module_")


def test_checkpoints_are_rate_limited_but_every_phase_end_is_kept(monkeypatch, s_curve, reference):
    """With checkpoints far apart in time, an interrupt rewinds to the end of the last completed phase."""
    monkeypatch.setattr(_training, "CHECKPOINT_SECONDS", 1e9)
    fail_on_call(monkeypatch, LWGANModule, "generator_loss", 4)
    est = LWGANEstimator(**SETTINGS)
    with pytest.warns(FitInterrupted), pytest.raises(KeyboardInterrupt):
        est.fit(s_curve)
    assert est.n_steps_ == {"warmup": 40, "adversarial": 0, "critic_refit": 0}
    monkeypatch.undo()
    est.set_params(warm_start=True).fit(s_curve)
    assert_same_model(est, reference, s_curve)
