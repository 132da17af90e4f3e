"""Where the time of a default LWGANEstimator fit goes: its phases, a bare PyTorch loop, a profile and FLOP/s.

One default ``LWGANEstimator(random_state=0, n_threads=THREADS)`` fit of
scikit-learn's digits (``latentspec.datasets.load_digits_scaled``, 1,797 x 64), or
with ``--dataset s_curve`` of ``make_s_curve_3d(2000, random_state=0)``, on
``--threads`` torch threads (default 1), measured four ways in one process:

* **Phases**, timed with ``time.perf_counter`` around the functions that run them
  (wrapped for the fit, the library is not changed): the TwoNN first estimate and
  the range of ranks (``two_nn_dimension`` and ``default_latent_dim`` as the
  estimator imports them), the warm-up, the adversarial game (``n_iter``, 0 by
  default) and the critic refit (``Trainer.warm_up``, ``adversarial``,
  ``refit_critic``), the scoring of the ranks (``score_ranks`` as the estimator
  imports it), and bookkeeping: the rest of ``fit`` (checks, scaling, building and
  initialising the networks, choosing the rank). Each in seconds and as a share of
  the fit, and the time after the last optimiser step (a
  ``torch.optim`` step post hook stamps every step).
* **A bare PyTorch loop** of the same networks, before and after the fit: a plain
  auto-encoder (``nn.Linear`` layers at the estimator's widths, leaky ReLU 0.2),
  batches of ``batch_size`` rows, Adam at the estimator's learning rate,
  reconstruction error plus an inverse-multiquadric MMD of the codes to a standard
  normal, for as many steps as the fit's warm-up and critic refit together, with
  as many latent dimensions as the fit searches. It prints fit time / bare loop time
  (the faster of the two loops) and the scoring's share of the fit.
* **A profile** (``torch.profiler``, CPU) of the slowest phase, or of the one
  ``--profile`` names, in a short fit with the same settings that runs that phase
  for ``--profile-steps`` steps (repeats for the scoring) and the other phases as
  little as they can: the top 15 operators by self CPU time.
* **FLOP/s**: the matrix-product FLOPs of one warm-up step, counted from the
  ``nn.Linear`` layers of the fitted encoder and generator at the rows of a training
  batch (with ``rank="auto"`` the batch is split into one block per rank, so it has
  ``latent_dim * max(2, batch_size // latent_dim)`` rows), forward and backward
  (input and weight gradients: three products of the forward's size per layer). The
  rank-code products and the MMD, under 1 % of them, are left out. Divided by the
  measured time of a warm-up step (the median between two optimiser steps, and the
  phase's mean), and compared with the rate of the same products timed alone in this
  run: ``torch.matmul`` in float32 and bfloat16, and latentspec's float32 dense
  layer product (``latentspec.lwgan.core._linear.linear``, oneDNN where available).

Run from the repository root (the default fit takes minutes; the bare loop twice as
long again)::

    python benchmarks/fit_speed.py                       # digits, 1 thread
    python benchmarks/fit_speed.py --dataset s_curve --threads 2
    python benchmarks/fit_speed.py --profile scoring     # profile the scoring, not the slowest phase
    python benchmarks/fit_speed.py --quick               # tiny settings: checks that the script works

Writes ``benchmarks/results/fit_speed.json`` (``fit_speed_s_curve.json`` for the
S-curve); ``--quick`` writes to a temporary file unless ``--out`` is given. Run it
on an otherwise idle machine: other work changes every number.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import torch
import torch.profiler
from _common import add_thread_option, apply_threads, environment, results_path, write_results
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook

from latentspec import LWGANEstimator
from latentspec.datasets import load_digits_scaled, make_s_curve_3d
from latentspec.lwgan import _estimator
from latentspec.lwgan._rank_range import default_latent_dim
from latentspec.lwgan.core._linear import linear, matmul_backend
from latentspec.lwgan.core._model import training_layouts
from latentspec.lwgan.core._training import Trainer

# The timed phases, in the order a fit runs them; "bookkeeping" is the rest of the fit.
PHASES = ("first_estimate", "warmup", "adversarial", "critic_refit", "scoring")
# (object, attribute, phase): the functions whose calls make up each phase.
WRAPPED = (
    (_estimator, "two_nn_dimension", "first_estimate"),
    (_estimator, "default_latent_dim", "first_estimate"),
    (Trainer, "warm_up", "warmup"),
    (Trainer, "adversarial", "adversarial"),
    (Trainer, "refit_critic", "critic_refit"),
    (_estimator, "score_ranks", "scoring"),
)
# The phases a short fit can profile, the step count that sets how long each runs, and its default.
PROFILED = {"warmup": "n_warmup", "adversarial": "n_iter", "critic_refit": "n_critic_refit",
            "scoring": "n_score_repeats"}
PROFILE_STEPS = {"warmup": 100, "adversarial": 5, "critic_refit": 50, "scoring": 5}
QUICK = {"n_warmup": 20, "n_critic_refit": 4, "n_score_repeats": 2, "batch_size": 128,
         "encoder_layers": (32, 32), "generator_layers": (32, 32), "critic_layers": (32, 32)}


class PhaseTimer:
    """Times the phases of the ``LWGANEstimator`` fits run inside ``with timer:``.

    The functions of :data:`WRAPPED` are replaced by timed wrappers for the block
    (``unittest.mock.patch.object``, so they are put back after it), and an optimiser
    step post hook stamps every optimiser step with the phase it belongs to.

    Parameters
    ----------
    profile : str or None
        A phase to run under ``torch.profiler`` (its first call); the profiler is then
        ``self.profiler``.
    """

    def __init__(self, profile: str | None = None):
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.steps: list[tuple[str | None, float]] = []  # (phase, perf_counter) of every optimiser step
        self.profile = profile
        self.profiler: Any = None
        self._phase: str | None = None
        self._stack: contextlib.ExitStack | None = None

    def _wrap(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            profiling = phase == self.profile and self.profiler is None
            context = (torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) if profiling
                       else contextlib.nullcontext())
            outer, self._phase = self._phase, phase
            start = time.perf_counter()
            try:
                with context as profiler:
                    return function(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - start
                self._phase = outer
                if profiling:
                    self.profiler = profiler

        return timed

    def _on_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self.steps.append((self._phase, time.perf_counter()))

    def __enter__(self) -> PhaseTimer:
        self._stack = contextlib.ExitStack()
        for owner, name, phase in WRAPPED:
            self._stack.enter_context(mock.patch.object(owner, name, self._wrap(phase, getattr(owner, name))))
        self._stack.callback(register_optimizer_step_post_hook(self._on_step).remove)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    def step_seconds(self, phase: str) -> list[float]:
        """The times between successive optimiser steps of ``phase``."""
        stamps = [t for p, t in self.steps if p == phase]
        return [b - a for a, b in zip(stamps[:-1], stamps[1:])]


def timed_fit(estimator: LWGANEstimator, X: np.ndarray, timer: PhaseTimer | None = None) -> dict:
    """Fit ``estimator`` on ``X`` under ``timer``; the fit's seconds, and each phase's seconds and share.

    ``bookkeeping`` is the fit's time outside the phases; ``after_last_step`` the
    time from the last optimiser step to the end of the fit (NaN without a step).
    """
    timer = timer or PhaseTimer()
    with timer:
        start = time.perf_counter()
        estimator.fit(X)
        end = time.perf_counter()
    total = end - start
    seconds = {**timer.seconds, "bookkeeping": total - sum(timer.seconds.values())}
    last = max((t for _, t in timer.steps), default=math.nan)
    return {
        "fit_seconds": total,
        "phases": {name: {"seconds": s, "share": s / total} for name, s in seconds.items()},
        "after_last_step_seconds": end - last,
    }


# ------------------------------------------------------------------ the bare loop
def plain_mlp(n_in: int, widths: tuple[int, ...], n_out: int) -> nn.Sequential:
    """``nn.Linear`` layers of ``widths`` with leaky ReLU (0.2) between them."""
    layers: list[nn.Module] = []
    for width in widths:
        layers += [nn.Linear(n_in, width), nn.LeakyReLU(0.2)]
        n_in = width
    return nn.Sequential(*layers, nn.Linear(n_in, n_out))


def bare_loop_seconds(X: np.ndarray, latent_dim: int, encoder_widths: tuple[int, ...],
                      generator_widths: tuple[int, ...], batch: int, steps: int, learning_rate: float) -> float:
    """Seconds of ``steps`` steps of a plain PyTorch auto-encoder with an MMD to the prior.

    The features standardised, batches of ``batch`` rows drawn with replacement,
    Adam, loss = mean reconstruction distance + an inverse-multiquadric MMD (scale
    ``2 * latent_dim``) between the codes and as many standard normal draws.
    """
    generator = torch.Generator().manual_seed(0)
    data = torch.as_tensor((X - X.mean(0)) / (X.std(0) + 1e-6), dtype=torch.float32)
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its weights from the global generator
        torch.manual_seed(0)
        encoder = plain_mlp(X.shape[1], encoder_widths, latent_dim)
        decoder = plain_mlp(latent_dim, generator_widths, X.shape[1])
    optimiser = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=learning_rate)
    scale = 2.0 * latent_dim

    def kernel_mean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (scale / (scale + torch.cdist(a, b).square())).mean()

    start = time.perf_counter()
    for _ in range(steps):
        x = data[torch.randint(len(data), (batch,), generator=generator)]
        codes = encoder(x)
        reconstruction = (decoder(codes) - x).norm(dim=1).mean()
        prior = torch.randn(batch, latent_dim, generator=generator)
        mmd = kernel_mean(codes, codes) + kernel_mean(prior, prior) - 2 * kernel_mean(codes, prior)
        loss = reconstruction + mmd
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return time.perf_counter() - start


# ----------------------------------------------------------------------- FLOPs
def linear_layers(*networks: nn.Module) -> list[tuple[int, int]]:
    """``(in_features, out_features)`` of every ``nn.Linear`` of ``networks``, in order."""
    return [(m.in_features, m.out_features) for net in networks for m in net.modules() if isinstance(m, nn.Linear)]


def training_rows(rank: str | int, rank_sampling: str, latent_dim: int, batch: int) -> int:
    """Rows of one training batch: the estimator's own rank layout (one block per rank with ``rank="auto"``)."""
    return training_layouts(rank, rank_sampling, latent_dim, batch, torch.device("cpu"))[0].n_rows


def step_products(rows: int, layers: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """``(m, k, n)`` of the products of one training step of ``layers`` at ``rows`` rows.

    Per layer: the forward ``(rows, in) @ (in, out)``, the input gradient
    ``(rows, out) @ (out, in)`` and the weight gradient ``(out, rows) @ (rows, in)``.
    """
    shapes = []
    for fan_in, fan_out in layers:
        shapes += [(rows, fan_in, fan_out), (rows, fan_out, fan_in), (fan_out, rows, fan_in)]
    return shapes


def product_flops(shapes: list[tuple[int, int, int]]) -> int:
    """``2 m k n`` summed over the products."""
    return sum(2 * m * k * n for m, k, n in shapes)


def matmul_gflops(shapes: list[tuple[int, int, int]], dtype: torch.dtype,
                  product: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = torch.matmul,
                  repeats: int = 50) -> float:
    """GFLOP/s of ``product(a, b)`` over the products ``shapes`` at ``dtype``: best of three timed loops."""
    generator = torch.Generator().manual_seed(0)
    pairs = [(torch.randn(m, k, generator=generator).to(dtype), torch.randn(k, n, generator=generator).to(dtype))
             for m, k, n in shapes]

    def one_round() -> None:
        for a, b in pairs:
            product(a, b)

    for _ in range(3):
        one_round()
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            one_round()
        best = min(best, (time.perf_counter() - start) / repeats)
    return product_flops(shapes) / best / 1e9


def flop_rates(estimator: LWGANEstimator, n_samples: int, timer: PhaseTimer, warmup_seconds: float,
               repeats: int) -> dict:
    """Counted FLOPs of a warm-up step, its achieved rate, and the matmul rates at the same shapes."""
    module = estimator.module_
    rows = training_rows(estimator.rank, estimator.rank_sampling, estimator.latent_dim_,
                         min(estimator.batch_size, n_samples))
    layers = linear_layers(module.encoder, module.generator)
    shapes = step_products(rows, layers)
    flops = product_flops(shapes)
    intervals = timer.step_seconds("warmup")
    median = statistics.median(intervals) if intervals else math.nan
    mean = warmup_seconds / max(1, estimator.n_steps_["warmup"])
    rates = {
        "float32 torch.matmul": matmul_gflops(shapes, torch.float32, repeats=repeats),
        f"float32 latentspec linear ({matmul_backend()})": matmul_gflops(
            shapes, torch.float32, lambda a, b: linear(a, b.t()), repeats=repeats),
        "bfloat16 torch.matmul": matmul_gflops(shapes, torch.bfloat16, repeats=repeats),
    }
    achieved = flops / median / 1e9
    return {
        "rows": rows,
        "layers": [list(layer) for layer in layers],
        "forward_flops": flops // 3,
        "step_flops": flops,
        "warmup_step_seconds_median": median,
        "warmup_step_seconds_mean": mean,
        "achieved_gflops": achieved,
        "achieved_gflops_mean": flops / mean / 1e9,
        "matmul_gflops": rates,
        "achieved_share_of_matmul": {name: achieved / rate for name, rate in rates.items()},
    }


# ---------------------------------------------------------------------- profile
def profile_phase(params: dict, X: np.ndarray, phase: str, steps: int) -> dict:
    """Profile ``phase`` in a short fit that runs it ``steps`` steps (the other phases as little as they can)."""
    counts = {"n_warmup": 0, "n_iter": 0, "n_critic_refit": 0, "n_score_repeats": 2, PROFILED[phase]: steps}
    timer = PhaseTimer(profile=phase)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an estimate from an untrained network may warn; only the time counts
        timed_fit(LWGANEstimator(**{**params, **counts}), X, timer)
    averages = timer.profiler.key_averages()
    top = sorted(averages, key=lambda event: event.self_cpu_time_total, reverse=True)[:15]
    return {
        "phase": phase,
        "steps": steps,
        "seconds": timer.seconds[phase],
        "top_ops": [{"name": e.key, "self_cpu_us": e.self_cpu_time_total, "calls": e.count} for e in top],
        "table": averages.table(sort_by="self_cpu_time_total", row_limit=15),
    }


# ------------------------------------------------------------------------- main
def load(dataset: str) -> np.ndarray:
    """The data set as float32 rows."""
    if dataset == "digits":
        return load_digits_scaled()[0].astype(np.float32)
    return make_s_curve_3d(2000, random_state=0).astype(np.float32)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["digits", "s_curve"], default="digits")
    add_thread_option(parser, default=1,
                      help="torch threads of the fit and the bare loop (default 1; 0: torch's own count)")
    parser.add_argument("--n-iter", type=int, default=0, help="outer iterations of the adversarial game (default 0)")
    parser.add_argument("--precision", choices=["float32", "bfloat16"], default="float32",
                        help="the fit's precision (the bare loop stays float32)")
    parser.add_argument("--profile", choices=["auto", *PROFILED], default="auto",
                        help="the phase to profile (default: the slowest)")
    parser.add_argument("--profile-steps", type=int, default=None,
                        help=f"steps (repeats for the scoring) of the profiled phase (default {PROFILE_STEPS})")
    parser.add_argument("--quick", action="store_true", help="tiny settings: checks that the script works")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    name = "fit_speed" if args.dataset == "digits" else f"fit_speed_{args.dataset}"
    out = args.out or results_path(name, quick=args.quick)
    apply_threads(args)
    threads = torch.get_num_threads()  # the fit and the bare loop both run on these

    X = load(args.dataset)
    params = {"random_state": 0, "n_threads": threads, "n_iter": args.n_iter, "precision": args.precision,
              **(QUICK if args.quick else {})}
    estimator = LWGANEstimator(**params)
    latent_dim = default_latent_dim(X)  # the range the fit will search (its own TwoNN estimate)
    batch = min(estimator.batch_size, X.shape[0])
    bare_steps = estimator.n_warmup + estimator.n_critic_refit
    bare = functools.partial(bare_loop_seconds, X, latent_dim, tuple(estimator.encoder_layers),
                             tuple(estimator.generator_layers), batch, bare_steps, estimator.learning_rate)
    print(f"{args.dataset}: {X.shape[0]} x {X.shape[1]}, {torch.get_num_threads()} torch thread(s), "
          f"torch {torch.__version__}{', quick settings' if args.quick else ''}")

    bare_before = bare()
    timer = PhaseTimer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = timed_fit(estimator, X, timer)
    bare_after = bare()
    bare_best = min(bare_before, bare_after)
    phases = fit["phases"]
    training = sum(phases[p]["seconds"] for p in ("warmup", "adversarial", "critic_refit"))

    print(f"fit: {fit['fit_seconds']:.2f} s (estimate {estimator.intrinsic_dim_}, ranks 1-{estimator.latent_dim_}, "
          f"steps {estimator.n_steps_})")
    print(f"  {'phase':<16}{'seconds':>9}{'share':>8}")
    for phase, entry in phases.items():
        print(f"  {phase:<16}{entry['seconds']:9.2f}{entry['share']:8.1%}")
    print(f"  after the last optimiser step: {fit['after_last_step_seconds']:.2f} s "
          f"({fit['after_last_step_seconds'] / fit['fit_seconds']:.1%} of the fit)")
    print(f"bare PyTorch loop ({bare_steps} steps, batch {batch}, latent {latent_dim}): {bare_before:.2f} s before "
          f"and {bare_after:.2f} s after the fit")
    print(f"fit / bare loop: {fit['fit_seconds'] / bare_best:.2f}; training phases / bare loop: "
          f"{training / bare_best:.2f}; scoring: {phases['scoring']['share']:.1%} of the fit")

    flops = flop_rates(estimator, X.shape[0], timer, phases["warmup"]["seconds"], repeats=3 if args.quick else 50)
    print(f"one warm-up step: {flops['step_flops'] / 1e9:.3f} GFLOP of matrix products ({flops['rows']} rows, "
          f"{len(flops['layers'])} Linear layers, forward and backward); "
          f"{flops['warmup_step_seconds_median'] * 1e3:.2f} ms median, "
          f"{flops['warmup_step_seconds_mean'] * 1e3:.2f} ms mean per step")
    print(f"  achieved: {flops['achieved_gflops']:.1f} GFLOP/s at the median step "
          f"({flops['achieved_gflops_mean']:.1f} at the mean)")
    for product, rate in flops["matmul_gflops"].items():
        print(f"  {product:<36} {rate:8.1f} GFLOP/s at the same shapes; the step reaches "
              f"{flops['achieved_share_of_matmul'][product]:.0%} of it")

    profiled = args.profile
    if profiled == "auto":
        profiled = max(PROFILED, key=lambda p: phases[p]["seconds"])
    steps = args.profile_steps or (5 if args.quick else PROFILE_STEPS[profiled])
    profiled_run = profile_phase(params, X, profiled, steps)
    print(f"profile of the {profiled} phase ({steps} {'repeats' if profiled == 'scoring' else 'steps'}, "
          f"{profiled_run['seconds']:.2f} s under the profiler), top operators by self CPU time:")
    print(profiled_run["table"])

    record = {
        "dataset": args.dataset,
        "shape": list(X.shape),
        "quick": args.quick,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
        "environment": environment(),
        "matmul_backend": matmul_backend(),
        "intrinsic_dim": estimator.intrinsic_dim_,
        "latent_dim": estimator.latent_dim_,
        "n_steps": estimator.n_steps_,
        **fit,
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "bare_loop": {"steps": bare_steps, "batch": batch, "latent_dim": latent_dim,
                      "seconds": [bare_before, bare_after], "best_seconds": bare_best},
        "fit_over_bare_loop": fit["fit_seconds"] / bare_best,
        "training_over_bare_loop": training / bare_best,
        "scoring_share": phases["scoring"]["share"],
        "flops": flops,
        "profile": profiled_run,
    }
    write_results(out, record)
    print(f"wrote {out}")
    return record


if __name__ == "__main__":
    main()
