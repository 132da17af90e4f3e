"""Tiny, explicit estimator settings shared by the tests.

Defaults (iteration counts, layer widths) change while the algorithm is tuned, so
the tests never rely on them. A setting is passed only where the estimator has
that parameter, and ``test_tiny_params_cover_every_cost_parameter`` fails when a
new cost parameter appears without a tiny value here.
"""

from latentspec import LWGANEstimator

_TINY = {
    "n_warmup": 5,
    "n_iter": 5,
    "n_critic": 1,
    "n_generator": 1,
    "n_critic_refit": 2,
    "encoder_layers": (16,),
    "generator_layers": (16,),
    "critic_layers": (16,),
    "conv_layers": (4, 8),
    "batch_size": 32,
    "n_score_repeats": 2,
    "n_refits": 0,
    "random_state": 0,
}

TINY_PARAMS = {name: value for name, value in _TINY.items() if name in LWGANEstimator().get_params()}


def is_cost_parameter(name: str) -> bool:
    """Whether a parameter sets how much work a fit does (counts, widths, batch size)."""
    if name in ("n_threads", "n_jobs"):  # how many threads or processes share the work, not how much there is
        return False
    return name.startswith("n_") or name.endswith("_layers") or name == "batch_size"
