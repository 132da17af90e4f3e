"""The parameter table of LWGANEstimator: every rule names the parameter, and widths are consistent."""

from __future__ import annotations

import numpy as np
import pytest

from latentspec import LWGANEstimator
from latentspec.lwgan._params import PARAMETER_RULES, check_params, network_spec


def test_every_parameter_but_the_data_dependent_ones_has_a_rule():
    data_dependent = {"latent_dim", "rank", "image_shape", "device", "random_state"}
    assert set(LWGANEstimator().get_params()) - data_dependent == set(PARAMETER_RULES)


@pytest.mark.parametrize("name", ["encoder_layers", "generator_layers", "critic_layers", "conv_layers"])
@pytest.mark.parametrize("bad", [(True, 8), (), (8, 0), (8, 2.5), "8", None])
def test_all_layer_widths_refuse_the_same_values(name, bad):
    """Booleans were widths for the MLPs but not for the convolutions; now all four agree."""
    with pytest.raises(ValueError, match=f"{name} must be a non-empty tuple of positive integers"):
        check_params(LWGANEstimator(**{name: bad}), np.zeros((10, 3)), resume=False)


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [("n_warmup", -1, "n_warmup must be an integer >= 0"), ("batch_size", 1, "batch_size must be an integer >= 2"),
     ("learning_rate", 0.0, "learning_rate must be a finite number > 0"),
     ("dropout", 1.0, "dropout is the share of hidden units dropped"),
     ("precision", "fp16", "precision must be one of"),
     ("warm_start", "yes", "warm_start must be True or False"), ("n_threads", 0, "n_threads must be an integer >= 1")],
)
def test_a_bad_value_is_named(name, bad, message):
    with pytest.raises(ValueError, match=message):
        check_params(LWGANEstimator(**{name: bad}), np.zeros((10, 3)), resume=False)


def test_check_params_returns_the_latent_dimension_to_build():
    X = np.random.default_rng(0).standard_normal((50, 5))
    assert check_params(LWGANEstimator(latent_dim=3), X, resume=False) == 3
    assert check_params(LWGANEstimator(rank=2), X, resume=False) == 5  # min(n_features, max(16, rank))


def test_the_network_spec_compares_lists_and_tuples_alike():
    assert network_spec(LWGANEstimator(encoder_layers=[8, 8])) == network_spec(LWGANEstimator(encoder_layers=(8, 8)))
    assert network_spec(LWGANEstimator(activation="silu")) != network_spec(LWGANEstimator())
