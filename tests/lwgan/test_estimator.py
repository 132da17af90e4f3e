"""LWGANEstimator (latentspec/lwgan/_estimator.py): shapes, fitted attributes, determinism, scikit-learn tools,
pickling, errors, and what its parameters do in a fit (training phases, the range of ranks, dropout, threads).

Image rows, label modes and interruptions have their own files: test_estimator_images.py,
test_estimator_labels.py and test_estimator_interrupt.py.
"""

import copy
import io
import math
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import latentspec
import latentspec.lwgan._estimator
import latentspec.lwgan._estimator as estimator_module
import latentspec.lwgan.core._model
import latentspec.lwgan.core._threads as threads_module
import latentspec.lwgan.core._training as training_module
from latentspec import LWGANEstimator, RankRangeWarning, TrainingDiverged, load, save
from latentspec._validation import check_seed
from latentspec.datasets import load_digits_scaled, make_s_curve_3d
from latentspec.lwgan._rank_range import default_latent_dim
from latentspec.lwgan.core._networks import HiddenDropout, _Activation

from .._tiny import TINY_PARAMS, is_cost_parameter
from ._data import _subspace

SCORE_KEYS = {
    "rank", "mean", "std_error", "std_error_diff", "critic_gap", "reconstruction", "gradient_penalty", "mmd",
    "latent_reconstruction",
}
HISTORY_TERMS = ("critic_gap", "gradient_penalty", "reconstruction", "mmd")
HISTORY_KEYS = {"phase", "step", *HISTORY_TERMS}
PHASES = ("warmup", "adversarial", "critic_refit")


def _module_devices(est):
    """The set of device types holding the estimator's parameters and buffers."""
    tensors = [*est.module_.parameters(), *est.module_.buffers()]
    return {t.device.type for t in tensors}


# ----------------------------------------------------------------------------- shapes
def test_transform_and_sample_shapes(fitted_auto, s_curve):
    """Guards the data flow X (n, d) -> Z (n, rank_), and sample's shape (n_samples, d)."""
    n, d = s_curve.shape
    Z = fitted_auto.transform(s_curve)
    assert Z.shape == (n, fitted_auto.rank_)
    assert np.isfinite(Z).all()
    assert fitted_auto.sample(7, random_state=0).shape == (7, d)
    assert fitted_auto.sample(random_state=0).shape == (1, d)
    assert fitted_auto.n_features_in_ == d
    assert fitted_auto.latent_dim_ == 3


@pytest.mark.parametrize("fitted", ["fitted_auto", "fitted_rank2"])
def test_inverse_transform_shape(fitted, s_curve, request):
    """Guards the way back Z (n, rank_) -> X (n, d): shape, finiteness, row-wise and deterministic."""
    est = request.getfixturevalue(fitted)
    Z = est.transform(s_curve)
    X_back = est.inverse_transform(Z)
    assert X_back.shape == s_curve.shape
    assert np.isfinite(X_back).all()
    np.testing.assert_allclose(est.inverse_transform(Z[:5]), X_back[:5], rtol=1e-5, atol=1e-6)
    assert np.array_equal(est.inverse_transform(Z), X_back)
    assert est.inverse_transform(np.zeros((4, est.rank_))).shape == (4, s_curve.shape[1])


def test_fit_transform_matches_fit_then_transform(s_curve, tiny_params):
    """Guards fit_transform: same codes as fit followed by transform."""
    Z1 = LWGANEstimator(latent_dim=3, **tiny_params).fit_transform(s_curve)
    Z2 = LWGANEstimator(latent_dim=3, **tiny_params).fit(s_curve).transform(s_curve)
    np.testing.assert_array_equal(Z1, Z2)


def test_fixed_rank(fitted_rank2, s_curve):
    """Guards rank=int: that rank is used, no estimate is made, one rank is scored."""
    assert fitted_rank2.rank_ == 2
    assert fitted_rank2.intrinsic_dim_ is None
    assert fitted_rank2.transform(s_curve).shape == (len(s_curve), 2)
    scores = fitted_rank2.rank_scores_
    assert set(scores) == SCORE_KEYS | {"per_repeat"}
    np.testing.assert_array_equal(scores["rank"], [2])
    for key, values in scores.items():
        assert np.shape(values) == ((fitted_rank2.n_score_repeats, 1) if key == "per_repeat" else (1,)), key
        assert np.isfinite(values).all(), key


def test_auto_rank_attributes(fitted_auto):
    """Guards rank="auto": intrinsic_dim_ in 1..latent_dim and one score per rank."""
    latent_dim = fitted_auto.latent_dim_
    assert isinstance(fitted_auto.intrinsic_dim_, (int, np.integer))
    assert 1 <= fitted_auto.intrinsic_dim_ <= latent_dim
    assert fitted_auto.rank_ == fitted_auto.intrinsic_dim_
    scores = fitted_auto.rank_scores_
    assert set(scores) == SCORE_KEYS | {"per_repeat"}
    for key, values in scores.items():
        expected = (fitted_auto.n_score_repeats, latent_dim) if key == "per_repeat" else (latent_dim,)
        assert np.shape(values) == expected, key
        assert np.isfinite(values).all(), key
    np.testing.assert_array_equal(scores["rank"], np.arange(1, latent_dim + 1))
    assert (scores["std_error"] >= 0).all()
    assert (scores["std_error_diff"] >= 0).all()


def test_auto_rank_follows_the_default_rule(fitted_auto):
    """Guards that the reported rank is the authors' rule applied to the reported scores."""
    scores = fitted_auto.rank_scores_
    best = np.argmin(scores["mean"])
    penalised = scores["mean"] + scores["std_error"][best] ** 0.8 * scores["rank"]
    assert fitted_auto.intrinsic_dim_ == int(scores["rank"][np.argmin(penalised)])
    assert scores["per_repeat"].shape == (fitted_auto.n_score_repeats, len(scores["rank"]))
    np.testing.assert_allclose(scores["per_repeat"].mean(0), scores["mean"])


def test_one_se_rule_is_available(tiny_params, s_curve):
    """rank_rule="one_se" picks the smallest rank within one paired standard error of the best."""
    est = LWGANEstimator(latent_dim=3, rank_rule="one_se", **tiny_params).fit(s_curve)
    scores = est.rank_scores_
    within = scores["mean"] - scores["mean"].min() <= scores["std_error_diff"]
    assert est.intrinsic_dim_ == int(scores["rank"][within][0])


def test_history(fitted_auto):
    """Guards history_: the documented keys, equal lengths, every phase logged, no inf, steps increasing."""
    history = fitted_auto.history_
    assert set(history) == HISTORY_KEYS
    lengths = {key: len(values) for key, values in history.items()}
    assert len(set(lengths.values())) == 1, lengths
    phases = np.asarray(history["phase"])
    steps = np.asarray(history["step"])
    terms = np.array([history[t] for t in HISTORY_TERMS], dtype=float)  # (terms, records)
    # Every phase that ran is logged, in order; the tiny settings run all three.
    order = [p for i, p in enumerate(phases) if i == 0 or p != phases[i - 1]]
    assert order == list(PHASES)
    for phase in PHASES:
        assert (np.diff(steps[phases == phase]) > 0).all(), phase
    # NaN marks a term a phase does not compute; no loss is ever infinite, and every record has one.
    assert not np.isinf(terms).any()
    assert np.isfinite(terms).any(axis=0).all()
    assert np.isfinite(terms[:, phases == "adversarial"]).all()


def _record_layouts(monkeypatch):
    """Patch the trainer to record the ranks of every batch layout it draws; returns the (live) record."""
    drawn = []
    draw = training_module.Trainer._layout

    def recording(self):
        layout = draw(self)
        drawn.append(layout.ranks)
        return layout

    monkeypatch.setattr(training_module.Trainer, "_layout", recording)
    return drawn


def test_rank_sampling_per_iteration_trains_one_rank_per_iteration(s_curve, tiny_params, monkeypatch):
    """Guards rank_sampling: "per_iteration" trains one rank per batch (the authors' scheme), drawn at random,
    where "per_sample" splits every batch between all ranks; with the same seed the two train different weights."""
    drawn = _record_layouts(monkeypatch)
    per_sample = LWGANEstimator(latent_dim=2, **tiny_params).fit(s_curve)
    assert drawn and set(drawn) == {(1, 2)}
    drawn.clear()
    per_iteration = LWGANEstimator(latent_dim=2, rank_sampling="per_iteration", **tiny_params).fit(s_curve)
    assert len(drawn) >= tiny_params["n_iter"]  # a layout per step, so at least one per outer iteration
    assert all(len(ranks) == 1 for ranks in drawn), drawn
    assert {ranks[0] for ranks in drawn} == {1, 2}, drawn  # both ranks get trained
    weights = zip(per_sample.module_.state_dict().values(), per_iteration.module_.state_dict().values())
    assert not all(torch.equal(a, b) for a, b in weights)
    assert per_iteration.transform(s_curve).shape == (len(s_curve), per_iteration.rank_)


@pytest.mark.parametrize("rule, expected", [("authors", 2), ("one_se", 3)])
def test_rank_rule_is_applied_to_the_rank_scores(s_curve, tiny_params, monkeypatch, rule, expected):
    """Guards rank_rule: the rank is the rule's choice from rank_scores_["per_repeat"].

    The tiny fits score rank 1 best by far, where every rule agrees, so the scores are
    replaced by a table on which the rules disagree: the repeats differ by a shift that
    every rank shares (standard error 0.1, paired standard error 0). The authors'
    penalty 0.1 ** 0.8 = 0.16 per rank makes rank 2 best (1.16, 0.82, 0.93); no
    rank is within one paired standard error of rank 3, so one_se keeps rank 3.
    """
    table = np.array([1.0, 0.5, 0.45]) + np.array([[0.1], [-0.1]])
    score_ranks = estimator_module.score_ranks
    monkeypatch.setattr(estimator_module, "score_ranks", lambda *a, **k: (table.copy(), score_ranks(*a, **k)[1]))
    assert latentspec.choose_rank(table, rule)[0] == expected
    est = LWGANEstimator(latent_dim=3, rank_rule=rule, **tiny_params).fit(s_curve)
    np.testing.assert_array_equal(est.rank_scores_["per_repeat"], table)
    assert est.rank_ == est.intrinsic_dim_ == latentspec.choose_rank(est.rank_scores_["per_repeat"], rule)[0]
    assert est.rank_ == expected


def test_lambda_mmd_zero_leaves_the_mmd_out(s_curve, tiny_params):
    """Guards lambda_mmd=0: the rank score is the sum of the other terms, and training never uses the MMD."""
    est = LWGANEstimator(latent_dim=2, lambda_mmd=0.0, **tiny_params).fit(s_curve)
    scores = est.rank_scores_
    others = sum(scores[t] for t in ("critic_gap", "gradient_penalty", "reconstruction", "latent_reconstruction"))
    np.testing.assert_allclose(scores["mean"], others, rtol=1e-5, atol=1e-6)
    # The MMD term is still reported, and large enough that counting it would show.
    assert (scores["mmd"] > 0.05).all(), scores["mmd"]
    assert not np.isclose(scores["mean"], others + scores["mmd"], rtol=1e-3).any()
    # Every phase that computes the MMD in its loss skipped it (recorded as 0, not NaN).
    phases, mmd = np.asarray(est.history_["phase"]), np.asarray(est.history_["mmd"])
    assert (mmd[phases != "critic_refit"] == 0).all()


def test_activation_is_used_by_every_network(s_curve, tiny_params):
    """Guards activation: all three networks use it, in training and in transform and sample (in-place path)."""
    est = LWGANEstimator(latent_dim=2, activation="tanh", **tiny_params).fit(s_curve)
    activations = {name: m for name, m in est.module_.named_modules() if isinstance(m, _Activation)}
    assert {name.split(".")[0] for name in activations} == {"encoder", "generator", "critic"}
    assert all(isinstance(m.function, torch.nn.Tanh) for m in activations.values())
    outputs = []

    def keep(module, inputs, output):
        outputs.append(output.detach().clone())

    hooks = [m.register_forward_hook(keep) for m in activations.values()]
    try:
        est.transform(s_curve)
        est.sample(50, random_state=0)
    finally:
        for hook in hooks:
            hook.remove()
    values = torch.cat([out.reshape(-1) for out in outputs])
    assert values.abs().max() <= 1.0 and values.min() < -0.1  # tanh's range, both signs (not ReLU or sigmoid)


def test_n_generator_sets_the_generator_updates_per_iteration(s_curve, tiny_params):
    """Guards n_generator: n_generator encoder/generator updates per outer iteration (Adam's step count)."""
    n_iter = tiny_params["n_iter"]
    for n_generator in (1, 2):
        est = LWGANEstimator(latent_dim=2, **{**tiny_params, "n_generator": n_generator}).fit(s_curve)
        assert est.n_steps_["adversarial"] == n_iter
        steps = {float(s["step"]) for s in est._training_state["optimisers"]["autoencoder"]["state"].values()}
        assert steps == {n_iter * n_generator}, (n_generator, steps)


def test_latent_dim_one_warns_that_the_estimate_is_the_largest_rank(s_curve, tiny_params):
    """Guards latent_dim=1: rank 1, and a RankRangeWarning, as 1 is the largest rank searched and below n_features."""
    with pytest.warns(RankRangeWarning, match=r"dimension 1 is the largest rank searched \(latent_dim_=1\)"):
        est = LWGANEstimator(latent_dim=1, **tiny_params).fit(s_curve)
    assert est.rank_ == est.intrinsic_dim_ == 1
    np.testing.assert_array_equal(est.rank_scores_["rank"], [1])
    assert est.transform(s_curve).shape == (len(s_curve), 1)


def test_image_shape_matching_features_fits(rng, tiny_params):
    """Guards image_shape: flattened (h, w) and (c, h, w) rows with the right size are accepted."""
    X = rng.random((40, 12))
    for shape in [(3, 4), (1, 3, 4)]:  # 3 x 4 images leave room for one halving convolution
        est = LWGANEstimator(latent_dim=2, image_shape=shape, **{**tiny_params, "conv_layers": (4,)}).fit(X)
        assert est.transform(X).shape == (40, est.rank_)
        assert est.sample(2, random_state=0).shape == (2, 12)


def test_float32_in_float32_out(s_curve, tiny_params):
    """Guards dtype: float32 input gives float32 codes."""
    X = s_curve.astype(np.float32)
    est = LWGANEstimator(latent_dim=2, **tiny_params).fit(X)
    assert est.transform(X).dtype == np.float32
    assert est.transform(s_curve).dtype == np.float64


def test_inverse_transform_preserves_dtype(fitted_rank2, s_curve):
    """Guards dtype on the way back: float32 codes give float32 data, float64 give float64."""
    Z = fitted_rank2.transform(s_curve)
    assert fitted_rank2.inverse_transform(Z).dtype == np.float64
    assert fitted_rank2.inverse_transform(Z.astype(np.float32)).dtype == np.float32


# ----------------------------------------------------------------------- determinism
def test_same_seed_same_result(fitted_auto, s_curve):
    """Guards random_state=int: a second fit reproduces codes, scores, history and samples exactly."""
    again = clone(fitted_auto).fit(s_curve)
    assert np.array_equal(again.transform(s_curve), fitted_auto.transform(s_curve))
    assert again.rank_ == fitted_auto.rank_
    for key, values in fitted_auto.rank_scores_.items():
        assert np.array_equal(again.rank_scores_[key], values), key
    assert set(again.history_) == set(fitted_auto.history_)
    for key, values in fitted_auto.history_.items():
        np.testing.assert_array_equal(again.history_[key], values, err_msg=key)  # NaN == NaN here
    assert np.array_equal(again.sample(5, random_state=0), fitted_auto.sample(5, random_state=0))


def test_different_seed_different_result(fitted_rank2, s_curve):
    """Guards that the seed is used: another random_state gives other codes."""
    other = clone(fitted_rank2).set_params(random_state=1).fit(s_curve)
    assert not np.array_equal(other.transform(s_curve), fitted_rank2.transform(s_curve))


def _assert_numpy_state_equal(after, before):
    assert after[0] == before[0]
    assert np.array_equal(after[1], before[1])
    assert after[2:] == before[2:]


def test_global_seeds_not_used(s_curve, tiny_params):
    """Guards "never the global seed": results ignore torch's global seed; NumPy's global RNG is not drawn."""
    results = []
    for global_seed in (123, 456):
        torch.manual_seed(global_seed)
        numpy_state = np.random.get_state()  # noqa: NPY002 (the global state is the point)
        est = LWGANEstimator(latent_dim=2, **tiny_params).fit(s_curve)
        results.append((est.transform(s_curve), est.sample(3, random_state=0), est.score(s_curve)))
        _assert_numpy_state_equal(np.random.get_state(), numpy_state)  # noqa: NPY002
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])
    assert results[0][2] == results[1][2]


def test_fit_leaves_global_torch_rng_alone(s_curve, tiny_params):
    """Guards that fit does not advance torch's global RNG (torch.get_rng_state unchanged)."""
    torch.manual_seed(123)
    before = torch.get_rng_state()
    LWGANEstimator(latent_dim=2, **tiny_params).fit(s_curve)
    assert torch.equal(torch.get_rng_state(), before)


def test_predict_methods_leave_global_torch_rng_alone(fitted_auto, s_curve):
    """Guards that transform, sample and score do not advance torch's global RNG."""
    torch.manual_seed(123)
    before = torch.get_rng_state()
    fitted_auto.transform(s_curve)
    fitted_auto.sample(3, random_state=0)
    fitted_auto.sample(3)
    fitted_auto.score(s_curve)
    assert torch.equal(torch.get_rng_state(), before)


def test_unpickling_leaves_global_torch_rng_alone(fitted_auto):
    """Guards that unpickling a fitted model does not advance torch's global RNG."""
    blob = pickle.dumps(fitted_auto)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    pickle.loads(blob)
    assert torch.equal(torch.get_rng_state(), before)


def test_sample_reproducible(fitted_auto):
    """Guards sample(random_state=...): same seed same draws, other seed other draws."""
    first = fitted_auto.sample(10, random_state=0)
    assert np.array_equal(first, fitted_auto.sample(10, random_state=0))
    assert not np.array_equal(first, fitted_auto.sample(10, random_state=1))
    assert np.isfinite(first).all()


def test_sample_at_a_given_rank(fitted_rank2):
    """Guards sample(rank=r): G of a rank-r prior draw (zeros from r on); None is the fitted rank."""
    est = fitted_rank2  # rank_ = 2, latent_dim_ = 3
    assert np.array_equal(est.sample(6, random_state=0, rank=None), est.sample(6, random_state=0))
    assert np.array_equal(est.sample(6, random_state=0, rank=2), est.sample(6, random_state=0))
    z = np.random.default_rng(check_seed(0)).standard_normal((6, 1))  # the draws sample() makes
    expected = est.inverse_transform(np.hstack([z, np.zeros((6, 1))]))
    np.testing.assert_allclose(est.sample(6, random_state=0, rank=1), expected, rtol=1e-6, atol=1e-6)
    assert est.sample(6, random_state=0, rank=3).shape == (6, 3)
    assert not np.allclose(est.sample(6, random_state=0, rank=3), est.sample(6, random_state=0, rank=1))
    for bad in (0, 4, 1.5):
        with pytest.raises(ValueError, match="rank"):
            est.sample(2, rank=bad)


def test_score_finite_and_deterministic(fitted_auto, s_curve, s_curve_test):
    """Guards score: a finite Python float, the same value every call, even after other calls."""
    first = fitted_auto.score(s_curve_test)
    assert isinstance(first, float)
    assert math.isfinite(first)
    fitted_auto.transform(s_curve)
    fitted_auto.sample(3)
    assert fitted_auto.score(s_curve_test) == first
    assert fitted_auto.score(s_curve_test, y=np.zeros(len(s_curve_test))) == first


# ------------------------------------------------------------------ scikit-learn tools
def test_clone(fitted_auto):
    """Guards clone: same parameters, no fitted state carried over."""
    copy = clone(fitted_auto)
    assert copy.get_params() == fitted_auto.get_params()
    assert not hasattr(copy, "module_")
    assert not hasattr(copy, "rank_")


def test_pipeline(s_curve, tiny_params):
    """Guards Pipeline(StandardScaler, LWGANEstimator): fit, transform, inverse_transform, score."""
    pipe = Pipeline([("scale", StandardScaler()), ("lwgan", LWGANEstimator(latent_dim=2, **tiny_params))])
    pipe.fit(s_curve)
    Z = pipe.transform(s_curve)
    assert Z.shape == (len(s_curve), pipe[-1].rank_)
    assert np.array_equal(Z, pipe[-1].transform(pipe[0].transform(s_curve)))
    assert math.isfinite(pipe.score(s_curve))
    assert pipe.score(s_curve) == pipe[-1].score(pipe[0].transform(s_curve))


def test_pipeline_inverse_transform(s_curve, tiny_params):
    """Guards Pipeline.inverse_transform through the estimator and then the scaler."""
    pipe = Pipeline([("scale", StandardScaler()), ("lwgan", LWGANEstimator(latent_dim=2, **tiny_params))])
    Z = pipe.fit_transform(s_curve)
    X_back = pipe.inverse_transform(Z)
    assert X_back.shape == s_curve.shape
    np.testing.assert_allclose(X_back, pipe[0].inverse_transform(pipe[-1].inverse_transform(Z)))


def test_grid_search_over_rank(s_curve, tiny_params):
    """Guards GridSearchCV with the estimator's own score over rank in {1, 2}.

    Each candidate's mean test score is that of fitting the estimator by hand on the
    same folds and scoring the held-out fold (score is deterministic), and the
    search keeps the rank with the highest one.
    """
    ranks = [1, 2]
    est = LWGANEstimator(latent_dim=2, **tiny_params)
    search = GridSearchCV(est, {"rank": ranks}, cv=2, error_score="raise")
    search.fit(s_curve)
    mean_scores = search.cv_results_["mean_test_score"]
    assert [params["rank"] for params in search.cv_results_["params"]] == ranks
    for rank, mean_score in zip(ranks, mean_scores):
        by_hand = [
            LWGANEstimator(latent_dim=2, rank=rank, **tiny_params).fit(s_curve[train]).score(s_curve[test])
            for train, test in KFold(2).split(s_curve)  # the splitter GridSearchCV uses for cv=2
        ]
        np.testing.assert_allclose(mean_score, np.mean(by_hand), rtol=1e-6)
    assert mean_scores[0] != mean_scores[1]
    assert search.best_params_["rank"] == ranks[int(np.argmax(mean_scores))]
    assert search.best_estimator_.rank_ == search.best_params_["rank"]
    assert search.transform(s_curve).shape == (len(s_curve), search.best_params_["rank"])


def test_cross_val_score(s_curve, tiny_params):
    """Guards cross_val_score without a scorer: one finite score per fold."""
    scores = cross_val_score(LWGANEstimator(latent_dim=2, **tiny_params), s_curve, cv=3, error_score="raise")
    assert scores.shape == (3,)
    assert np.isfinite(scores).all()


def test_set_output(s_curve, tiny_params):
    """Guards the promise that set_output works (output stays a NumPy array by default)."""
    est = LWGANEstimator(latent_dim=2, **tiny_params).set_output(transform="default")
    assert isinstance(est.fit(s_curve).transform(s_curve), np.ndarray)


# ------------------------------------------------------------------------- pickling
def _assert_same_model(loaded, original, X):
    assert loaded is not original
    assert loaded.get_params() == original.get_params()
    assert loaded.rank_ == original.rank_
    assert loaded.device_ == original.device_
    assert np.array_equal(loaded.transform(X), original.transform(X))
    assert np.array_equal(loaded.sample(5, random_state=0), original.sample(5, random_state=0))
    assert loaded.score(X) == original.score(X)


def test_pickle_round_trip(fitted_auto, s_curve):
    """Guards pickle: a lossless round trip, without warnings, leaving the original untouched."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(fitted_auto))
    assert isinstance(fitted_auto.module_, torch.nn.Module)
    assert isinstance(fitted_auto.device_, torch.device)
    assert isinstance(loaded.device_, torch.device)
    _assert_same_model(loaded, fitted_auto, s_curve)


def test_joblib_round_trip(fitted_rank2, s_curve, tmp_path):
    """Guards joblib dump/load: a lossless round trip through a file."""
    path = tmp_path / "model.joblib"
    joblib.dump(fitted_rank2, path)
    _assert_same_model(joblib.load(path), fitted_rank2, s_curve)


def test_pickle_round_trip_inverse_transform(fitted_auto, s_curve):
    """Guards that the generator survives pickling: identical inverse_transform output."""
    loaded = pickle.loads(pickle.dumps(fitted_auto))
    Z = fitted_auto.transform(s_curve)
    assert np.array_equal(loaded.inverse_transform(Z), fitted_auto.inverse_transform(Z))


def test_unfitted_pickle_round_trip(tiny_params):
    """Guards pickling an unfitted estimator: parameters survive, nothing fitted appears."""
    est = LWGANEstimator(latent_dim=2, **tiny_params)
    loaded = pickle.loads(pickle.dumps(est))
    assert loaded.get_params() == est.get_params()
    assert not hasattr(loaded, "module_")


def test_fake_cuda_pickle_loads_on_cpu(s_curve, tiny_params, monkeypatch):
    """Guards GPU-to-CPU portability (as skorch tests it): a pickle whose tensors need CUDA loads on CPU."""
    est = LWGANEstimator(latent_dim=2, device="cpu", **tiny_params).fit(s_curve)  # CUDA is faked below
    expected = est.transform(s_curve)
    expected_sample = est.sample(5, random_state=0)

    payloads = []
    real_state_to_bytes = latentspec.lwgan._estimator.state_to_bytes

    def spy(module):
        payloads.append(real_state_to_bytes(module))
        return payloads[-1]

    with monkeypatch.context() as patch:
        # Every storage torch.save writes is tagged as living on the first GPU.
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        patch.setattr(latentspec.lwgan._estimator, "state_to_bytes", spy)
        est.device_ = torch.device("cuda:0")
        blob = pickle.dumps(est)
    assert len(payloads) == 1

    # The fake is real: without a map_location, loading the payload needs CUDA (hidden where there is one).
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(io.BytesIO(payloads[0]), weights_only=True)

    with pytest.warns(UserWarning, match="cuda:0") as record:
        loaded = pickle.loads(blob)
    assert any("CPU" in str(w.message) for w in record)
    assert loaded.device_ == torch.device("cpu")
    assert _module_devices(loaded) == {"cpu"}
    assert np.array_equal(loaded.transform(s_curve), expected)
    assert np.array_equal(loaded.sample(5, random_state=0), expected_sample)
    # The CPU model pickles again, cleanly.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = pickle.loads(pickle.dumps(loaded))
    assert np.array_equal(again.transform(s_curve), expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_unpickles_on_cpu(s_curve, tiny_params, monkeypatch):
    """Guards a real GPU fit: it pickles and, with CUDA hidden, unpickles and predicts on the CPU."""
    est = LWGANEstimator(latent_dim=2, device="cuda", **tiny_params).fit(s_curve)
    assert est.device_.type == "cuda"
    assert _module_devices(est) == {"cuda"}
    expected = est.transform(s_curve)
    blob = pickle.dumps(est)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="cuda"):
        loaded = pickle.loads(blob)
    assert loaded.device_ == torch.device("cpu")
    assert _module_devices(loaded) == {"cpu"}
    np.testing.assert_allclose(loaded.transform(s_curve), expected, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------- errors
def _bad_value(X, value):
    X = np.array(X, dtype=float)
    X[3, 1] = value
    return X


@pytest.mark.parametrize(
    ("params", "make_X", "match"),
    [
        ({}, lambda X: _bad_value(X, np.nan), "NaN"),
        ({}, lambda X: _bad_value(X, np.inf), "infinity"),
        ({}, lambda X: X[:, 0], "2D array"),
        ({"latent_dim": 3}, lambda X: X[:3], "at least 6 samples"),
        ({"latent_dim": 2, "rank": 3}, lambda X: X, "larger than latent_dim"),
        ({"rank": "bogus"}, lambda X: X, "rank must be 'auto'"),
        ({"rank": 0}, lambda X: X, "rank must be an integer >= 1"),
        ({"latent_dim": 0}, lambda X: X, "latent_dim must be an integer >= 1"),
        ({"n_iter": -1}, lambda X: X, "n_iter must be an integer >= 0"),
        ({"learning_rate": -1}, lambda X: X, "learning_rate must be a finite number > 0"),
        ({"image_shape": (2, 2)}, lambda X: X, "image_shape"),
        ({"encoder_layers": ()}, lambda X: X, "encoder_layers"),
        ({"activation": "softmax"}, lambda X: X, "activation"),
        ({"lambda_gp": -1.0}, lambda X: X, "lambda_gp"),
        ({"rank_rule": "smallest"}, lambda X: X, "rank_rule"),
        ({"device": "not-a-device"}, lambda X: X, "not a device"),
    ],
    ids=[
        "nan",
        "inf",
        "1d",
        "too-few-samples",
        "rank>latent_dim",
        "rank-bogus",
        "rank-0",
        "latent_dim-0",
        "n_iter-negative",
        "learning_rate-negative",
        "image_shape",
        "empty-layers",
        "activation",
        "lambda_gp",
        "rank_rule",
        "device-unknown",
    ],
)
def test_fit_rejects_bad_input(s_curve, tiny_params, params, make_X, match):
    """Guards fit's validation: a ValueError whose message names the problem."""
    est = LWGANEstimator(**{"latent_dim": 2, **tiny_params, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(make_X(s_curve))


def test_too_few_samples_boundary(s_curve, tiny_params):
    """Guards the sample minimum: two per rank trained is enough, one fewer is not."""
    with pytest.raises(ValueError, match="at least 6 samples"):
        LWGANEstimator(latent_dim=3, **tiny_params).fit(s_curve[:5])
    assert LWGANEstimator(latent_dim=3, **tiny_params).fit(s_curve[:6]).rank_ in (1, 2, 3)
    assert LWGANEstimator(latent_dim=3, rank=3, **tiny_params).fit(s_curve[:2]).rank_ == 3


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_raises(s_curve, tiny_params):
    """Guards device="cuda" on a CPU-only machine: a clear ValueError at fit, not a torch crash."""
    with pytest.raises(ValueError, match="CUDA"):
        LWGANEstimator(latent_dim=2, device="cuda", **tiny_params).fit(s_curve)


def test_auto_device_is_cpu_without_gpu(fitted_auto):
    """Guards device="auto": the GPU when there is one, else the CPU, and the networks live there."""
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert fitted_auto.device_.type == expected
    assert _module_devices(fitted_auto) == {expected}


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")], ids=["str", "torch.device"])
def test_explicit_cpu_device(fitted_rank2, s_curve, device):
    """Guards device="cpu" given as a string or a torch.device: same model as on the CPU by default."""
    if fitted_rank2.device_.type != "cpu":
        pytest.skip("the reference model was fitted on a GPU")
    est = clone(fitted_rank2).set_params(device=device).fit(s_curve)
    assert est.device_ == torch.device("cpu")
    assert _module_devices(est) == {"cpu"}
    assert np.array_equal(est.transform(s_curve), fitted_rank2.transform(s_curve))
    assert clone(est).get_params()["device"] == device


@pytest.mark.parametrize(
    ("method", "make_arg", "match"),
    [
        ("transform", lambda X: X[:, :2], "features"),
        ("transform", lambda X: _bad_value(X, np.nan), "NaN"),
        ("transform", lambda X: X[0], "2D array"),
        ("score", lambda X: X[:, :2], "features"),
        pytest.param("inverse_transform", lambda X: np.zeros((4, 3)), "3 columns"),
        pytest.param("inverse_transform", lambda X: np.zeros((4, 1)), "1 columns"),
        pytest.param(
            "inverse_transform", lambda X: np.full((4, 2), np.inf), "infinity"
        ),
        pytest.param("inverse_transform", lambda X: np.zeros(2), "2D array"),
        ("sample", lambda X: 0, "n_samples"),
        ("sample", lambda X: -2, "n_samples"),
        ("sample", lambda X: 2.5, "n_samples"),
    ],
)
def test_fitted_methods_reject_bad_input(fitted_rank2, s_curve, method, make_arg, match):
    """Guards transform/score/inverse_transform/sample validation: a ValueError naming the problem."""
    with pytest.raises(ValueError, match=match):
        getattr(fitted_rank2, method)(make_arg(s_curve))


# -------------------------------------------------------------------------- verbose
def test_verbose_shows_progress(s_curve, tiny_params, capsys):
    """Guards verbose=1: a progress bar named LWGAN on stderr; verbose=0 prints nothing."""
    LWGANEstimator(latent_dim=2, verbose=0, **tiny_params).fit(s_curve)
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err == ""
    LWGANEstimator(latent_dim=2, verbose=1, **tiny_params).fit(s_curve)
    loud = capsys.readouterr()
    assert "LWGAN" in loud.err
    assert "100%" in loud.err


def test_tiny_params_cover_every_cost_parameter():
    """Guards the suite's speed: every count, width and batch parameter has an explicit tiny value."""
    missing = sorted(
        name for name in LWGANEstimator().get_params() if is_cost_parameter(name) and name not in TINY_PARAMS
    )
    assert not missing, f"add tiny values for {missing} to tests/_tiny.py"


def test_transform_and_decode_work_in_chunks(fitted_rank2, s_curve, monkeypatch):
    """Guards bounded memory: results do not depend on how many rows go through at once."""
    import latentspec.lwgan.core._batching as batching

    whole_Z = fitted_rank2.transform(s_curve)
    whole_X = fitted_rank2.inverse_transform(whole_Z)
    whole_samples = fitted_rank2.sample(50, random_state=0)
    monkeypatch.setattr(batching, "CHUNK_ROWS", 7)
    assert len(batching.chunks(len(s_curve))) == -(-len(s_curve) // 7)
    np.testing.assert_allclose(fitted_rank2.transform(s_curve), whole_Z, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fitted_rank2.inverse_transform(whole_Z), whole_X, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fitted_rank2.sample(50, random_state=0), whole_samples, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------- issue-driven checks
@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_mps_without_mps_raises_a_clear_error(s_curve, tiny_params):
    """device='mps' where PyTorch has no MPS backend: a ValueError like CUDA's, not torch's generator error."""
    with pytest.raises(ValueError, match=r"device='mps' asks for MPS.*sees no MPS device.*'auto' or 'cpu'"):
        LWGANEstimator(device="mps", **tiny_params).fit(s_curve)


def test_sample_keeps_the_fitted_dtype(s_curve, tiny_params, tmp_path):
    """A model fitted on float32 samples float32, as transform and inverse_transform keep float32."""
    est = LWGANEstimator(latent_dim=3, rank=2, **tiny_params).fit(s_curve.astype(np.float32))
    assert est.sample(3, random_state=0).dtype == np.float32
    assert pickle.loads(pickle.dumps(est)).sample(2).dtype == np.float32
    est.save(tmp_path / "m.safetensors")
    assert latentspec.load(tmp_path / "m.safetensors").sample(2).dtype == np.float32
    assert LWGANEstimator(latent_dim=3, rank=2, **tiny_params).fit(s_curve).sample(2).dtype == np.float64


def test_read_only_codes_give_no_torch_warning(fitted_rank2):
    """Read-only arrays (pandas 3 hands them out) go in without torch's 'not writable' UserWarning.

    torch prints that warning once per process unless told to warn always, as here.
    """
    before = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
        X.setflags(write=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Z = fitted_rank2.transform(X)
            Z.setflags(write=False)
            X_back = fitted_rank2.inverse_transform(Z)
            fitted_rank2.score(X)
    finally:
        torch.set_warn_always(before)
    np.testing.assert_array_equal(X_back, fitted_rank2.inverse_transform(Z.copy()))


def test_results_do_not_depend_on_how_rows_are_batched_at_default_widths(s_curve):
    """With the default 128-unit layers (not only tiny ones), one row at a time gives the same bits as all rows.

    float32 products of different batch sizes take different kernels; the networks always see blocks of one size.
    """
    from sklearn.utils.estimator_checks import check_methods_subset_invariance

    est = LWGANEstimator(n_warmup=20, n_critic_refit=2, n_score_repeats=2, random_state=0).fit(s_curve)
    Z = est.transform(s_curve)
    np.testing.assert_array_equal(np.vstack([est.transform(s_curve[i : i + 1]) for i in range(40)]), Z[:40])
    np.testing.assert_array_equal(est.transform(s_curve[::-1])[::-1], Z)
    X_back = est.inverse_transform(Z)
    np.testing.assert_array_equal(np.vstack([est.inverse_transform(Z[i : i + 1]) for i in range(40)]), X_back[:40])
    check_methods_subset_invariance("LWGANEstimator", LWGANEstimator(n_warmup=20, n_critic_refit=2,
                                                                     n_score_repeats=2, random_state=0))


def test_pandas_output_pipeline_with_the_basis_cross_validates(tiny_params):
    """make_pipeline(LWGANEstimator, QuasiEigenBasis).set_output(transform="pandas") scores every fold (no NaN)."""
    from latentspec import QuasiEigenBasis

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    X = np.eye(3)[y] * 3 + 0.3 * rng.standard_normal((90, 3))
    pipe = make_pipeline(
        LWGANEstimator(latent_dim=3, rank=3, label_weight=1.0, **tiny_params),
        QuasiEigenBasis(n_rounds=2, n_draws=200, random_state=0),
    ).set_output(transform="pandas")
    scores = cross_val_score(pipe, X, y, cv=3, error_score="raise")
    assert np.isfinite(scores).all() and ((0 <= scores) & (scores <= 1)).all()
    assert isinstance(pipe.fit(X, y).transform(X), pd.DataFrame)


# --------------------------------------------------------------------------- parameters
def test_the_latent_dimension_to_build():
    X = np.random.default_rng(0).standard_normal((50, 5))
    assert LWGANEstimator(latent_dim=3)._latent_dim_for(X, resume=False) == 3
    assert LWGANEstimator(rank=2)._latent_dim_for(X, resume=False) == 5  # min(n_features, max(16, rank))


def test_the_network_spec_compares_lists_and_tuples_alike():
    spec = LWGANEstimator(encoder_layers=[8, 8])._network_spec()
    assert spec == LWGANEstimator(encoder_layers=(8, 8))._network_spec()
    assert LWGANEstimator(activation="silu")._network_spec() != LWGANEstimator()._network_spec()


# ---------------------------------------------------------------------- training phases
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


# ------------------------------------------------------------------- the range of ranks
def test_estimator_uses_the_data_driven_range():
    """Guards the wiring: latent_dim=None searches default_latent_dim(X) ranks, rank fixed keeps 16."""
    X = _subspace(200, 2, 30)
    est = LWGANEstimator(**TINY_PARAMS).fit(X)
    assert est.latent_dim_ == default_latent_dim(X) < 30
    assert LWGANEstimator(rank=2, **TINY_PARAMS).fit(X).latent_dim_ == 16
    # A fixed rank above 16 widens the networks, whether given as a Python or a NumPy integer.
    assert LWGANEstimator(rank=np.int64(20), **TINY_PARAMS).fit(X).latent_dim_ == 20


def test_estimate_at_the_top_of_the_range_warns():
    """Guards no silent ceiling: 6-dimensional data searched up to rank 2 gives 2 and says so."""
    X = np.random.default_rng(0).standard_normal((300, 6))
    with pytest.warns(RankRangeWarning, match=r"largest rank searched.*latent_dim"):
        # 400 steps: with fewer, the tiny rank-2 networks are not yet one-to-one and rank 1 scores best.
        est = LWGANEstimator(latent_dim=2, **{**TINY_PARAMS, "n_warmup": 400}).fit(X)
    assert est.intrinsic_dim_ == 2


def test_no_warning_when_the_whole_space_is_searched():
    """Guards the warning's scope: an estimate equal to n_features is not a ceiling."""
    X = np.random.default_rng(0).standard_normal((300, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RankRangeWarning)
        params = {**TINY_PARAMS, "n_warmup": 400, "encoder_layers": (32, 32), "generator_layers": (32, 32)}
        est = LWGANEstimator(latent_dim=2, **params).fit(X)
    assert est.intrinsic_dim_ == 2


def test_interval_is_reported_and_contains_the_estimate(s_curve):
    """Guards intrinsic_dim_interval_: ordered ranks within the searched range, around the estimate."""
    est = LWGANEstimator(**TINY_PARAMS).fit(s_curve)
    low, high = est.intrinsic_dim_interval_
    assert 1 <= low <= est.intrinsic_dim_ <= high <= est.latent_dim_
    assert LWGANEstimator(rank=1, latent_dim=2, **TINY_PARAMS).fit(s_curve).intrinsic_dim_interval_ is None


def test_estimate_is_invariant_to_shift_and_scale(s_curve):
    """Guards the data scaling: the same fit, up to float rounding, in other units and origin."""
    params = {**TINY_PARAMS, "n_warmup": 30}
    base = LWGANEstimator(**params).fit(s_curve)
    moved = LWGANEstimator(**params).fit(250.0 * s_curve - 40.0)
    assert moved.latent_dim_ == base.latent_dim_ and moved.intrinsic_dim_ == base.intrinsic_dim_
    np.testing.assert_allclose(moved.rank_scores_["mean"], base.rank_scores_["mean"], rtol=1e-3, atol=1e-4)


def test_range_is_invariant_to_rotation():
    """Guards the first estimate inside fit: a rotated copy of the data searches the same ranks."""
    X = _subspace(300, 3, 40)
    Q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((40, 40)))
    assert LWGANEstimator(**TINY_PARAMS).fit(X @ Q).latent_dim_ == LWGANEstimator(**TINY_PARAMS).fit(X).latent_dim_


# ------------------------------------------------------------------------------ dropout
@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits_scaled()
    return X[:200]


PARAMS = {**TINY_PARAMS, "latent_dim": 3, "n_warmup": 30}


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_fit_with_dropout_is_reproducible_and_differs(digits, architecture):
    """Guards the wiring: dropout changes the training, yet a seeded fit is repeatable and inference is not random."""
    params = {**PARAMS, "image_shape": (8, 8), "architecture": architecture}
    state = torch.random.get_rng_state()
    first = LWGANEstimator(dropout=0.3, **params).fit(digits)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global generator is left alone
    second = LWGANEstimator(dropout=0.3, **params).fit(digits)
    plain = LWGANEstimator(**params).fit(digits)
    Z = first.transform(digits)
    np.testing.assert_array_equal(Z, second.transform(digits))
    np.testing.assert_array_equal(Z, first.transform(digits))  # transform never drops units
    np.testing.assert_array_equal(first.inverse_transform(Z[:5]), first.inverse_transform(Z[:5]))
    assert first.score(digits) == first.score(digits)
    assert not np.allclose(Z, plain.transform(digits))


def test_dropout_reaches_encoder_and_generator_only(digits, monkeypatch):
    """Guards which networks drop units: encoder and generator while training, the critic never."""
    seen = []
    original = HiddenDropout.forward

    def spy(self, x):
        out = original(self, x)
        seen.append((self.rate, bool((out == 0).any()) and self.rate > 0))
        return out

    monkeypatch.setattr(HiddenDropout, "forward", spy)
    est = LWGANEstimator(dropout=0.5, **PARAMS).fit(digits)
    assert any(dropped for _, dropped in seen)  # some training pass dropped units
    module = est.module_
    rates = {name: {sub.rate for sub in net.modules() if isinstance(sub, HiddenDropout)}
             for name, net in (("encoder", module.encoder), ("generator", module.generator),
                               ("critic", module.critic))}
    assert rates == {"encoder": {0.0}, "generator": {0.0}, "critic": {0.0}}  # off again after fit
    module.set_dropout(0.5, torch.Generator().manual_seed(0))
    assert {sub.rate for sub in module.critic.modules() if isinstance(sub, HiddenDropout)} == {0.0}
    assert {sub.rate for sub in module.encoder.modules() if isinstance(sub, HiddenDropout)} == {0.5}
    module.set_dropout(0.0)


def test_dropout_fit_pickles_saves_and_warm_starts(tmp_path):
    X = make_s_curve_3d(n_samples=120, random_state=0)
    est = LWGANEstimator(dropout=0.2, **PARAMS).fit(X)
    save(est, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert loaded.get_params()["dropout"] == 0.2
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(X), est.transform(X))
    # A warm start may change the rate (it shapes no network) and continues the same networks.
    again.set_params(warm_start=True, dropout=0.0, n_warmup=40).fit(X)
    assert again.n_steps_["warmup"] == 40


def test_dropout_helps_a_small_noisy_autoencoder_generalise():
    """Guards the purpose: on few noisy digits, dropout lowers the error of reconstructions of held-out digits."""
    X, _ = load_digits_scaled()
    rng = np.random.default_rng(0)
    train, test = X[:300], X[300:400]
    noisy_train = train + rng.normal(scale=0.25, size=train.shape)
    noisy_test = test + rng.normal(scale=0.25, size=test.shape)
    params = {**TINY_PARAMS, "latent_dim": 8, "rank": 8, "n_warmup": 1500, "n_iter": 0, "n_critic_refit": 0,
              "encoder_layers": (128, 128), "generator_layers": (128, 128), "batch_size": 128}
    errors = {}
    for rate in (0.0, 0.3):
        est = LWGANEstimator(dropout=rate, **params).fit(noisy_train)
        errors[rate] = float(np.mean((est.inverse_transform(est.transform(noisy_test)) - test) ** 2))
    assert errors[0.3] < errors[0.0]


# ------------------------------------------------------------------------------ threads
@pytest.fixture
def threads_seen(monkeypatch):
    """The torch thread count at every training run and every encoder and generator pass."""
    seen = {"train": [], "encode": [], "generate": []}
    run = estimator_module.Trainer.run

    def recording_run(self, *args, **kwargs):
        seen["train"].append(torch.get_num_threads())
        return run(self, *args, **kwargs)

    monkeypatch.setattr(estimator_module.Trainer, "run", recording_run)
    for name in ("encode", "generate"):
        original = getattr(latentspec.lwgan.core._model.LWGANModule, name)

        def recording(self, *args, _original=original, _name=name, **kwargs):
            seen[_name].append(torch.get_num_threads())
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(latentspec.lwgan.core._model.LWGANModule, name, recording)
    return seen


@pytest.mark.parametrize("idle_cpus_seen", [2.0, 1.0])
def test_default_trains_and_transforms_with_the_policy_then_restores(
    s_curve, tiny_params, two_threads, threads_seen, idle, idle_cpus_seen
):
    """n_threads=None: every call runs with the policy's count (2 idle CPUs: 2, one busy: 1); torch's 2 come back."""
    idle(idle_cpus_seen)
    expected = int(idle_cpus_seen)
    est = LWGANEstimator(latent_dim=3, rank=2, device="cpu", **tiny_params).fit(s_curve)  # the policy is the CPU's
    assert torch.get_num_threads() == two_threads
    est.transform(s_curve)
    est.inverse_transform(np.zeros((3, 2)))
    est.sample(2)
    est.score(s_curve)
    assert torch.get_num_threads() == two_threads
    assert set(threads_seen["train"]) == {expected}
    assert set(threads_seen["encode"]) == {expected}
    assert set(threads_seen["generate"]) == {expected}
    assert est.n_threads_ == expected  # what fit reports is what it used


def test_explicit_n_threads_is_used_and_restored(s_curve, tiny_params, threads_seen):
    before = torch.get_num_threads()
    est = LWGANEstimator(latent_dim=3, rank=2, n_threads=2, **tiny_params).fit(s_curve)
    est.transform(s_curve[:5])
    assert torch.get_num_threads() == before
    assert set(threads_seen["train"]) == {2} and set(threads_seen["encode"]) == {2}
    assert est.n_threads_ == 2
    threads_seen["encode"].clear()
    est.set_params(n_threads=1).transform(s_curve[:5])  # read at every call, so set_params applies at once
    assert set(threads_seen["encode"]) == {1}


def test_convolutional_networks_keep_torch_setting_without_a_load_reading(
    tiny_params, two_threads, threads_seen, idle
):
    idle(None)
    X = np.random.default_rng(0).random((40, 16))
    LWGANEstimator(latent_dim=2, rank=2, image_shape=(4, 4), **{**tiny_params, "conv_layers": (2,)}).fit(X)
    assert set(threads_seen["train"]) == {two_threads}


def test_failed_fit_restores_threads(s_curve, tiny_params, two_threads):
    with pytest.raises(ValueError, match="rank=5 is larger than latent_dim=3"):
        LWGANEstimator(latent_dim=3, rank=5, n_threads=1, **tiny_params).fit(s_curve)
    assert torch.get_num_threads() == two_threads


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True])
def test_bad_n_threads_is_refused_at_fit_and_after_set_params(s_curve, tiny_params, fitted_rank2, value):
    with pytest.raises(ValueError, match="n_threads must be an integer >= 1"):
        LWGANEstimator(latent_dim=3, n_threads=value, **tiny_params).fit(s_curve)
    est = copy.deepcopy(fitted_rank2).set_params(n_threads=value)
    for method, arg in (("transform", s_curve), ("inverse_transform", np.zeros((2, 2))), ("score", s_curve)):
        with pytest.raises(ValueError, match="n_threads"):
            getattr(est, method)(arg)
    with pytest.raises(ValueError, match="n_threads"):
        est.sample(2)


# ------------------------------------------------------- what a new user hit
@pytest.mark.parametrize(
    "X",
    [np.ones((300, 4)), np.ones((300, 4)) + 1e30, np.full((50, 3), -7.5, dtype=np.float32)],
    ids=["ones", "ones_plus_1e30", "float32"],
)
def test_constant_data_is_refused_with_its_dimension(X, tiny_params):
    """Constant rows have intrinsic dimension 0: fit says so instead of returning 1."""
    with pytest.raises(ValueError, match=r"X is constant: all \d+ rows are the same point.*intrinsic dimension is 0"):
        LWGANEstimator(**tiny_params).fit(X)


def test_one_varying_row_is_not_constant(tiny_params):
    X = np.ones((40, 3))
    X[7, 1] = 2.0
    assert LWGANEstimator(latent_dim=2, **tiny_params).fit(X).rank_ >= 1


def test_features_on_far_apart_scales_warn_and_standardize_divides_each(tiny_params):
    """One overall spread keeps relative scales (and warns when they span orders of magnitude);
    standardize=True divides each feature by its own, so a change of units changes nothing."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3)) * [1000.0, 1.0, 0.5]
    with pytest.warns(UserWarning, match="differ by more than a factor of 100.*standardize=True"):
        est = LWGANEstimator(latent_dim=2, **tiny_params).fit(X)
    assert np.ndim(est.scale_) == 0 and est.scale_ == pytest.approx(np.sqrt(np.mean((X - X.mean(0)) ** 2)))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*differ by more than a factor of 100")
        standardized = LWGANEstimator(latent_dim=2, standardize=True, **tiny_params).fit(X)
        in_other_units = LWGANEstimator(latent_dim=2, standardize=True, **tiny_params).fit(X * [1e-3, 1.0, 10.0])
    np.testing.assert_allclose(standardized.scale_, X.std(axis=0))
    np.testing.assert_allclose(standardized.transform(X), in_other_units.transform(X * [1e-3, 1.0, 10.0]), atol=1e-4)
    np.testing.assert_allclose(standardized.inverse_transform(standardized.transform(X[:5])),
                               in_other_units.inverse_transform(in_other_units.transform(X[:5] * [1e-3, 1.0, 10.0]))
                               / [1e-3, 1.0, 10.0], rtol=1e-3, atol=1e-3)


def test_shifting_or_scaling_the_data_by_a_constant_changes_no_estimate(s_curve, tiny_params):
    """The data are centred and divided by their spread: the fit sees the same numbers."""
    params = {**tiny_params, "n_threads": 1}
    base = LWGANEstimator(**params).fit(s_curve)
    for moved in (s_curve + 1e3, s_curve * 1e-3, s_curve * 250.0):
        other = LWGANEstimator(**params).fit(moved)
        assert other.intrinsic_dim_ == base.intrinsic_dim_
        np.testing.assert_allclose(other.rank_scores_["mean"], base.rank_scores_["mean"], rtol=1e-3, atol=1e-4)


def test_dimension_is_intrinsic_dim_under_scikit_dimension_name(fitted_auto, fitted_rank2):
    from sklearn.exceptions import NotFittedError

    assert fitted_auto.dimension_ == fitted_auto.intrinsic_dim_ is not None
    assert fitted_rank2.dimension_ is None  # a fixed rank estimates nothing
    with pytest.raises(NotFittedError):
        LWGANEstimator().dimension_  # noqa: B018


def _fit_digest(est: LWGANEstimator) -> bytes:
    state = est.module_.state_dict()
    parts = [state[name].numpy().tobytes() for name in sorted(state)] + [est.rank_scores_["per_repeat"].tobytes()]
    return b"".join(parts)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_explicit_threads_give_fits_identical_bit_for_bit_whatever_the_load(s_curve, tiny_params, n_threads):
    """n_threads set: an idle machine, a load reading that would choose other threads, and a busy CPU agree."""
    import subprocess
    import sys

    import latentspec.lwgan.core._threads as threads

    params = {**tiny_params, "n_warmup": 40, "n_critic_refit": 5, "n_score_repeats": 4, "n_threads": n_threads}
    digests = [_fit_digest(LWGANEstimator(**params).fit(s_curve))]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threads, "idle_cpus", lambda seconds=0.1: 0.2)  # the policy would take one thread
        digests.append(_fit_digest(LWGANEstimator(**params).fit(s_curve)))
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        digests.append(_fit_digest(LWGANEstimator(**params).fit(s_curve)))
    finally:
        busy.kill()
        busy.wait()
    assert digests[1] == digests[0] and digests[2] == digests[0]


def _plane(seed: int, n: int = 400, n_features: int = 6, dim: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((n_features, dim)))[0]
    return rng.uniform(-1, 1, (n, dim)) @ basis.T


def _arc(seed: int, n: int = 400) -> np.ndarray:
    t = np.random.default_rng(seed).uniform(0, 1.5 * np.pi, n)
    return np.c_[np.cos(t), np.sin(t), 0.3 * t]


# Small networks, few steps: a fit of 400 rows takes a few seconds and keeps a clear margin
# between the true rank and its neighbours (measured on seeds 0-3 of each data set).
SMALL_FIT = {"encoder_layers": (32, 32), "generator_layers": (32, 32), "critic_layers": (32, 32), "n_warmup": 500,
             "n_critic_refit": 20, "n_score_repeats": 10, "batch_size": 128, "n_threads": 1}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("data", "latent_dim", "true_dim"),
    [(_plane, 4, 2), (lambda seed: _plane(seed, n_features=8, dim=3), 5, 3), (_arc, 3, 1)],
    ids=["plane_2_in_6", "subspace_3_in_8", "arc_1_in_3"],
)
def test_finds_the_dimension_of_data_whose_answer_is_known(data, latent_dim, true_dim, seed):
    """The headline, in the default test run: small fits find 2, 3 and 1 on planes and a curved arc."""
    est = LWGANEstimator(latent_dim=latent_dim, random_state=seed, **SMALL_FIT).fit(data(seed))
    assert est.intrinsic_dim_ == true_dim
    assert est.intrinsic_dim_interval_ == (true_dim, true_dim)
    assert est.diagnostics_["problems"] == []


def test_an_estimate_far_from_the_first_estimate_warns_and_the_diagnostics_say_why(monkeypatch):
    """The fit's own TwoNN estimate contradicts its rank: UnreliableEstimateWarning, recorded in diagnostics_."""
    import latentspec.lwgan._estimator as module
    from latentspec import UnreliableEstimateWarning

    X = _plane(0)
    monkeypatch.setattr(module, "two_nn_dimension", lambda X: 9.0)  # what TwoNN might say of a 9-D set
    with pytest.warns(UnreliableEstimateWarning, match=r"estimate 2 .*less than half.*TwoNN\) estimate 6\.0"):
        est = LWGANEstimator(latent_dim=4, random_state=0, **SMALL_FIT).fit(X)
    assert est.intrinsic_dim_ == 2
    assert est.diagnostics_["first_estimate"] == 9.0
    assert est.diagnostics_["ranks_searched"] == (1, 4)
    assert est.diagnostics_["interval"] == est.intrinsic_dim_interval_
    assert est.diagnostics_["problems"] and "less than half" in est.diagnostics_["problems"][0]
    np.testing.assert_array_equal(est.diagnostics_["train_reconstruction"], est.rank_scores_["reconstruction"])


def test_an_estimate_beyond_what_the_rows_resolve_warns():
    """Five rows resolve 2 log10(5) = 1.4 dimensions, three rows 0.95: one dimension is beyond three rows."""
    from latentspec import UnreliableEstimateWarning

    small = {**SMALL_FIT, "n_warmup": 5, "n_critic_refit": 0, "n_score_repeats": 2, "batch_size": 4}
    est = LWGANEstimator(latent_dim=1, random_state=0, **small).fit(_plane(0, n=5))
    assert est.intrinsic_dim_ == 1
    assert est.diagnostics_["resolvable_dimension"] == pytest.approx(2 * np.log10(5))
    assert not any("rows resolve" in p for p in est.diagnostics_["problems"])
    with pytest.warns(UnreliableEstimateWarning, match=r"the estimate 1 is above the 0\.954 dimensions that 3 rows"):
        est = LWGANEstimator(latent_dim=1, random_state=0, **small).fit(_plane(0, n=3))
    assert any("3 rows resolve" in p for p in est.diagnostics_["problems"])


def test_agreeing_estimates_leave_no_problem_and_a_fixed_rank_has_no_first_estimate(fitted_rank2):
    with warnings.catch_warnings():
        warnings.simplefilter("error", latentspec.UnreliableEstimateWarning)
        est = LWGANEstimator(latent_dim=4, random_state=1, **SMALL_FIT).fit(_plane(1))
    assert est.diagnostics_["problems"] == [] and 1.5 < est.diagnostics_["first_estimate"] < 2.5
    assert fitted_rank2.diagnostics_["first_estimate"] is None and fitted_rank2.diagnostics_["problems"] == []


def test_rotating_the_data_changes_no_estimate():
    """An orthogonal change of axes keeps every distance: the same range, estimate and interval."""
    X = _plane(0)
    Q = np.linalg.qr(np.random.default_rng(5).standard_normal((6, 6)))[0]
    base = LWGANEstimator(random_state=0, **SMALL_FIT).fit(X)
    rotated = LWGANEstimator(random_state=0, **SMALL_FIT).fit(X @ Q)
    assert rotated.latent_dim_ == base.latent_dim_
    assert rotated.intrinsic_dim_ == base.intrinsic_dim_ == 2
    assert rotated.intrinsic_dim_interval_ == base.intrinsic_dim_interval_ == (2, 2)


def test_validation_fraction_holds_rows_out_of_training_and_scores_the_ranks_on_them(monkeypatch):
    """Guards the split: the networks train on the other rows, the scores come from the held-out ones."""
    import latentspec.lwgan._estimator as module

    X = _plane(0)
    trained, scored = [], []
    real_train, real_score = LWGANEstimator._train, module.score_ranks

    def spy_train(self, data, *args, **kwargs):
        trained.append(data.shape[0])
        return real_train(self, data, *args, **kwargs)

    def spy_score(module_, data, *args, **kwargs):
        scored.append(data.shape[0])
        return real_score(module_, data, *args, **kwargs)

    monkeypatch.setattr(LWGANEstimator, "_train", spy_train)
    monkeypatch.setattr(module, "score_ranks", spy_score)
    est = LWGANEstimator(latent_dim=4, validation_fraction=0.25, random_state=0, **SMALL_FIT).fit(X)
    assert trained == [300] and scored == [100]
    assert est.intrinsic_dim_ == 2 and est.diagnostics_["problems"] == []
    train, heldout = est.diagnostics_["train_reconstruction"], est.diagnostics_["heldout_reconstruction"]
    assert train.shape == heldout.shape == (4,)
    np.testing.assert_array_equal(heldout, est.rank_scores_["reconstruction"])
    assert heldout[1] < 0.5 * heldout[0]  # rank 2 reconstructs new rows of the plane, rank 1 cannot
    # The split follows random_state: the same rows held out on every fit.
    again = LWGANEstimator(latent_dim=4, validation_fraction=0.25, random_state=0, **SMALL_FIT).fit(X)
    np.testing.assert_array_equal(again.rank_scores_["per_repeat"], est.rank_scores_["per_repeat"])
    # Without held-out rows there is no held-out error, and too few rows are refused by name.
    assert LWGANEstimator(latent_dim=4, random_state=0, **SMALL_FIT).fit(X).diagnostics_[
        "heldout_reconstruction"] is None
    with pytest.raises(ValueError, match="validation_fraction=0.1 holds out 1 of the 12 rows"):
        LWGANEstimator(latent_dim=2, validation_fraction=0.1, **SMALL_FIT).fit(X[:12])
    with pytest.raises(ValueError, match=r"at least 8 samples for training .* has 5 once validation_fraction=0.5"):
        LWGANEstimator(latent_dim=4, validation_fraction=0.5, **SMALL_FIT).fit(X[:10])


def test_networks_that_memorise_their_training_rows_make_fit_warn(monkeypatch):
    """Held-out rows reconstructed far worse than training rows: UnreliableEstimateWarning names it."""
    import latentspec.lwgan._estimator as module
    import latentspec.lwgan._evidence as evidence
    from latentspec import UnreliableEstimateWarning

    real = module.reconstruction_per_rank
    monkeypatch.setattr(module, "reconstruction_per_rank", lambda *a, **k: real(*a, **k) / 10.0)
    monkeypatch.setattr(evidence, "MEMORISATION_SPREAD", 0.0)  # the plane's errors are a small share of its spread
    with pytest.warns(UnreliableEstimateWarning, match=r"memorise their training rows: at rank 2 .* 1\dx worse"):
        est = LWGANEstimator(latent_dim=4, validation_fraction=0.25, random_state=0, **SMALL_FIT).fit(_plane(0))
    assert any("memorise" in problem for problem in est.diagnostics_["problems"])


def test_refits_widen_the_interval_to_every_refit_estimate_and_run_side_by_side_alike():
    """Guards n_refits and n_jobs: refits of the plane find 2 again; worker processes change nothing."""
    X = _plane(0)
    est = LWGANEstimator(latent_dim=4, n_refits=2, random_state=0, **SMALL_FIT).fit(X)
    assert est.intrinsic_dim_ == 2
    assert est.refit_estimates_.tolist() == [2, 2]
    assert est.intrinsic_dim_interval_ == (2, 2) == est.diagnostics_["interval"]
    np.testing.assert_array_equal(est.diagnostics_["refit_estimates"], est.refit_estimates_)
    parallel = LWGANEstimator(latent_dim=4, n_refits=2, n_jobs=2, random_state=0, **SMALL_FIT).fit(X)
    assert parallel.refit_estimates_.tolist() == est.refit_estimates_.tolist()
    assert LWGANEstimator(latent_dim=4, random_state=0, **SMALL_FIT).fit(X).refit_estimates_ is None


def test_refit_interval_holds_the_estimate_its_scores_and_every_refit():
    from latentspec.lwgan._refits import refit_interval

    assert refit_interval(3, (3, 3), np.array([3, 4, 3, 2])) == (2, 4)
    assert refit_interval(5, (4, 6), np.array([5, 5])) == (4, 6)
    assert refit_interval(5, (5, 5), np.array([], dtype=int)) == (5, 5)


def test_linear_path_starts_every_rank_as_principal_component_analysis(tmp_path):
    """Guards the linear path: untrained networks add nothing, so rank r reconstructs as PCA(r) does."""
    from sklearn.decomposition import PCA

    X = _plane(0, n_features=5, dim=3) + 0.05 * np.random.default_rng(1).standard_normal((400, 5))
    for rank in (1, 2, 3):
        est = LWGANEstimator(rank=rank, latent_dim=4, linear_path=True, n_warmup=0, n_critic_refit=1,
                             n_score_repeats=1, random_state=0, n_threads=1).fit(X)
        pca = PCA(n_components=rank).fit(X)
        np.testing.assert_allclose(est.inverse_transform(est.transform(X)), pca.inverse_transform(pca.transform(X)),
                                   atol=1e-4)
        codes = est.transform(X)
        np.testing.assert_allclose(codes.std(axis=0, ddof=1), np.ones(rank), rtol=1e-3)  # whitened, as the prior
    est.save(tmp_path / "linear.lspec")  # the principal-component maps travel with the model
    np.testing.assert_array_equal(LWGANEstimator.load(tmp_path / "linear.lspec").transform(X), est.transform(X))
    with pytest.raises(ValueError, match="linear_path=True adds principal-component maps to MLP networks"):
        images = np.random.default_rng(0).random((50, 64))
        LWGANEstimator(linear_path=True, image_shape=(8, 8), **TINY_PARAMS).fit(images)


def test_early_stopping_keeps_the_networks_of_the_lowest_held_out_error(monkeypatch):
    """Guards early_stopping: the warm-up ends with the networks it had where the held-out loss was lowest."""
    scripted = iter([5.0, 4.5, 4.0, 3.0] + [6.0 + 0.1 * i for i in range(17)])
    snapshots = []

    def fake_monitor(self, heldout):
        def loss():
            snapshots.append({k: v.clone() for k, v in self.module_.state_dict().items()})
            return next(scripted)

        return loss

    monkeypatch.setattr(LWGANEstimator, "_heldout_monitor", fake_monitor)
    params = {**SMALL_FIT, "n_warmup": 40, "n_critic_refit": 0, "n_score_repeats": 2}
    est = LWGANEstimator(latent_dim=3, validation_fraction=0.2, early_stopping=True, random_state=0, **params)
    est.fit(_plane(0))
    assert len(snapshots) == 21  # the starting networks, then every 2 steps (a twentieth): 2, 4, ..., 40
    assert est.best_warmup_step_ == 6
    for name, value in est.module_.state_dict().items():
        torch.testing.assert_close(value, snapshots[3][name])


def test_early_stopping_needs_held_out_rows():
    with pytest.raises(ValueError, match="early_stopping=True watches held-out rows"):
        LWGANEstimator(early_stopping=True, **TINY_PARAMS).fit(_plane(0))


def test_early_stopping_watches_the_ranks_up_to_the_first_estimate(monkeypatch):
    """Far above the dimension PCA reconstructs new rows exactly: those ranks are not averaged in."""
    import latentspec.lwgan._estimator as module

    watched = []
    real = module.reconstruction_per_rank

    def spy(module_, data, ranks, **kwargs):
        watched.append(np.asarray(ranks).tolist())
        return real(module_, data, ranks, **kwargs)

    monkeypatch.setattr(module, "reconstruction_per_rank", spy)
    monkeypatch.setattr(module, "two_nn_dimension", lambda X: 2.3)
    params = {**SMALL_FIT, "n_warmup": 20, "n_critic_refit": 0, "n_score_repeats": 2}
    LWGANEstimator(latent_dim=5, validation_fraction=0.2, early_stopping=True, random_state=0, **params).fit(_plane(0))
    assert watched[0] == [1, 2, 3]  # the first checks: ranks up to ceil(2.3)
    assert watched[-1] == [1, 2, 3, 4, 5]  # then the training error of every rank scored, for diagnostics_


def test_default_threads_follow_a_load_that_arrives_during_the_fit(
    s_curve, tiny_params, two_threads, threads_seen, idle, monkeypatch
):
    """n_threads=None: the fit starts with 2 threads on an idle machine, drops to 1 when the load arrives, and
    torch's own 2 come back afterwards; with n_threads set the load is not watched."""
    monkeypatch.setattr(threads_module, "LOAD_RECHECK_SECONDS", 0.0)
    readings = idle(2.0)
    counts_during_training = []

    def on_step():  # the load arrives after the first training log point
        counts_during_training.append(torch.get_num_threads())
        readings["value"] = 1.0

    check = threads_module.ThreadGovernor.check

    def recording_check(self):
        on_step()
        check(self)

    monkeypatch.setattr(threads_module.ThreadGovernor, "check", recording_check)
    est = LWGANEstimator(latent_dim=3, device="cpu", **tiny_params).fit(s_curve)
    assert est.n_threads_ == 2 and threads_seen["train"] == [2]
    assert counts_during_training[0] == 2 and counts_during_training[-1] == 1
    assert torch.get_num_threads() == two_threads
    counts_during_training.clear()
    LWGANEstimator(latent_dim=3, device="cpu", n_threads=2, **tiny_params).fit(s_curve)
    assert counts_during_training == []


def test_refits_start_from_the_fits_ceiling_not_from_a_count_the_load_lowered(
    s_curve, tiny_params, two_threads, idle, monkeypatch
):
    """The load lowered the fit's threads to 1 before its refits: each refit still gets torch's 2 as its ceiling
    (and reads the load itself), rather than being held at 1 for good."""
    monkeypatch.setattr(threads_module, "LOAD_RECHECK_SECONDS", 0.0)
    readings = idle(2.0)
    ceilings = []
    for_fit = threads_module.ThreadGovernor.for_fit.__func__

    def recording_for_fit(cls, ceiling, every=None):
        ceilings.append(ceiling)
        readings["value"] = 1.0  # the load arrives once the fit has started
        return for_fit(cls, ceiling, every)

    monkeypatch.setattr(threads_module.ThreadGovernor, "for_fit", classmethod(recording_for_fit))
    LWGANEstimator(latent_dim=3, device="cpu", **{**tiny_params, "n_refits": 1}).fit(s_curve)
    assert ceilings == [2, 2]
    assert torch.get_num_threads() == two_threads
