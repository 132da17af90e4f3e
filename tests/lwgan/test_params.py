"""The parameter table of LWGANEstimator (latentspec/lwgan/_params.py): every rule names the parameter, and
widths are consistent.
"""

from __future__ import annotations

import numpy as np
import pytest

from latentspec import LWGANEstimator
from latentspec.lwgan._params import PARAMETER_RULES, check_rank


def test_every_parameter_has_a_rule():
    assert set(LWGANEstimator().get_params()) == set(PARAMETER_RULES)


@pytest.mark.parametrize("name", ["encoder_layers", "generator_layers", "critic_layers", "conv_layers"])
@pytest.mark.parametrize("bad", [(True, 8), (), (8, 0), (8, 2.5), "8", None])
def test_all_layer_widths_refuse_the_same_values(name, bad):
    """Booleans were widths for the MLPs but not for the convolutions; now all four agree."""
    with pytest.raises(ValueError, match=f"{name} must be a non-empty tuple of positive integers"):
        LWGANEstimator(**{name: bad})._check_parameters()


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [("n_warmup", -1, "n_warmup must be an integer >= 0"), ("batch_size", 1, "batch_size must be an integer >= 2"),
     ("learning_rate", 0.0, "learning_rate must be a finite number > 0"),
     ("dropout", 1.0, "dropout is the share of hidden units dropped"),
     ("precision", "fp16", "precision must be one of"),
     ("warm_start", "yes", "warm_start must be True or False"), ("n_threads", 0, "n_threads must be an integer >= 1"),
     ("rank", "best", "rank must be 'auto' or an integer"), ("latent_dim", 0, "latent_dim must be an integer >= 1"),
     ("image_shape", (8,), "image_shape must be"), ("random_state", -1, "random_state must be")],
)
def test_a_bad_value_is_named_by_fit(name, bad, message):
    with pytest.raises(ValueError, match=message):
        LWGANEstimator(**{name: bad}).fit(np.zeros((10, 3)))


def test_the_parameters_are_checked_once_per_fit(monkeypatch):
    calls = []
    for name, rule in PARAMETER_RULES.items():
        def counting(n, value, rule=rule):
            calls.append(n)
            rule(n, value)
        monkeypatch.setitem(PARAMETER_RULES, name, counting)
    X = np.random.default_rng(0).standard_normal((40, 3))
    LWGANEstimator(rank=1, latent_dim=2, n_warmup=2, n_critic_refit=1, n_score_repeats=1, n_threads=1,
                   encoder_layers=(4,), generator_layers=(4,), critic_layers=(4,), random_state=0).fit(X)
    assert sorted(calls) == sorted(PARAMETER_RULES)


def test_a_rank_above_the_range_built_says_where_the_range_came_from():
    """latent_dim=None with five features builds five ranks: the message says so, not 'latent_dim=5'."""
    with pytest.raises(ValueError, match=r"latent_dim=None gives min\(n_features, max\(16, rank\)\) = 5.*5 features"):
        LWGANEstimator(rank=8).fit(np.random.default_rng(0).standard_normal((30, 5)))
    with pytest.raises(ValueError, match=r"rank=4 is larger than latent_dim=3; choose rank <= latent_dim"):
        check_rank(4, 3, 3, 5)
