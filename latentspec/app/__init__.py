"""What a person runs and reads: the command line, the demo and its report, the figures.

The command line is ``latentspec`` (or ``python -m latentspec``); :func:`run_demo` runs
the demo; :func:`rank_uncertainty` and :func:`format_ranks` say how sure a rank
estimate is; the ``plot_*`` functions draw the figures (they need matplotlib).
"""

from ._demo import run_demo
from ._plotting import (
    plot_denoising_grid,
    plot_lsd_spectrum,
    plot_rank_scores,
    plot_rotation_morph,
    plot_samples_beside_data,
    plot_samples_per_rank,
    plot_training_history,
    save_figure,
)
from ._rank_report import format_ranks, rank_uncertainty

__all__ = [
    "format_ranks",
    "plot_denoising_grid",
    "plot_lsd_spectrum",
    "plot_rank_scores",
    "plot_rotation_morph",
    "plot_samples_beside_data",
    "plot_samples_per_rank",
    "plot_training_history",
    "rank_uncertainty",
    "run_demo",
    "save_figure",
]
