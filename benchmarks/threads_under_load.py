"""torch threads for a default-size LWGAN fit, on an idle CPU and beside one CPU-bound process.

The same fit (``LWGANEstimator`` defaults: four 128-unit layers per network, batches
of 512, on 2,000 S-curve rows) with 1 thread, 2 threads, torch's default count
(one per physical core, or ``OMP_NUM_THREADS``) and ``n_threads=None``, first with the machine to itself,
then while a second process that this script starts (and stops) spins on one core,
and last with that process starting a quarter of the way into each fit (``late_load``:
the policy read an idle machine when the fit started, and must notice the load while
it runs; ``ThreadGovernor``).
Every fit runs as many warm-up steps as take about ``--seconds`` seconds at the
speed of a short calibration fit (at most the default 4,000), so a slow setting
does not run for many minutes. Prints steps per second and each setting's time
relative to the best of 1 and 2 threads in the same condition, and checks the
library's default (``n_threads=None``, ``latentspec.lwgan.core._threads.default_n_threads``,
which reads the load at the start of every fit and every few seconds during it) against
three targets: under load, and with the load arriving during the fit, at most 20 %
slower than the best of 1 and 2 threads, and on an idle machine 2 threads when they are
faster. Writes
``benchmarks/results/threads_under_load.json``.

Run it on an otherwise idle machine (any other work changes the numbers)::

    python benchmarks/threads_under_load.py               # 5 to 25 minutes on 2 cores (*)
    python benchmarks/threads_under_load.py --quick       # tiny fits, checks that it works

(*) Most of it is the two-thread fits beside a busy process, which run 3 to 20 times
slower than alone depending on the machine; ``--seconds 8`` makes every fit a quarter
as long. ``--quick`` writes to a temporary file unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import threading
import time
from pathlib import Path

import torch
from _common import environment, machine, results_path, write_results

# torch's own count, read before anything in this process changes it.
TORCH_DEFAULT_THREADS = torch.get_num_threads()

from latentspec import LWGANEstimator  # noqa: E402
from latentspec.datasets import make_s_curve_3d  # noqa: E402
from latentspec.lwgan.core._threads import MLP_CPU_THREADS  # noqa: E402
from latentspec.lwgan.core._training import Trainer  # noqa: E402

QUICK = {"encoder_layers": (16,), "generator_layers": (16,), "critic_layers": (16,), "batch_size": 64,
         "n_critic_refit": 2, "n_score_repeats": 2}
LOAD_LIMIT = 1.2  # the default may be at most 20 % slower than the best of 1 and 2 threads under load


def busy_loop() -> None:  # pragma: no cover - runs in the competing process
    """Spin on one core until terminated: the competing CPU-bound process."""
    value = 0
    while True:
        value = (value * 1103515245 + 12345) % 2**31


def fit_once(X, n_threads: int | None, n_warmup: int, extra: dict) -> dict:
    """Fit once with ``n_threads`` (None: the library's policy); wall time and training steps per second."""
    est = LWGANEstimator(n_warmup=n_warmup, n_threads=n_threads, random_state=0, **extra)
    used = {}
    train = Trainer.run

    def recording_run(self, *args, **kwargs):  # the count torch has while the networks train
        used.setdefault("threads", torch.get_num_threads())
        try:
            return train(self, *args, **kwargs)
        finally:
            used["threads_at_end"] = torch.get_num_threads()

    Trainer.run = recording_run
    try:
        start = time.perf_counter()
        est.fit(X)
        seconds = time.perf_counter() - start
    finally:
        Trainer.run = train
    steps = sum(est.n_steps_.values())
    return {"n_threads": n_threads, "threads": used["threads"], "threads_at_end": used["threads_at_end"],
            "n_warmup": n_warmup, "seconds": round(seconds, 2), "steps_per_second": round(steps / seconds, 2)}


def warmup_steps(X, n_threads: int, seconds: float, extra: dict) -> int:
    """Warm-up steps that take about ``seconds`` at the speed of a short fit (at most the default 4,000)."""
    probe = fit_once(X, n_threads, 200, extra)
    return int(min(4000, max(200, probe["steps_per_second"] * seconds)))


def fit_with_late_load(X, n_threads: int | None, n_warmup: int, extra: dict, delay: float) -> dict:
    """:func:`fit_once` while a competing process starts ``delay`` seconds into the fit (and ends with it)."""
    competitor = multiprocessing.get_context("spawn").Process(target=busy_loop, daemon=True)
    timer = threading.Timer(delay, competitor.start)
    timer.start()
    try:
        return fit_once(X, n_threads, n_warmup, extra)
    finally:
        timer.cancel()
        timer.join()
        if competitor.is_alive():
            competitor.terminate()
            competitor.join()


def measure(
    X, counts: dict[str, int | None], args: argparse.Namespace, extra: dict, late_load: bool = False
) -> dict[str, dict]:
    """Every thread setting once per repeat, alternating; the fastest repeat of each.

    ``late_load``: a competing process starts a quarter of the way into every fit (``args.seconds / 4``).
    """
    n_warmup = args.n_warmup or warmup_steps(X, 1, args.seconds, extra)
    best: dict[str, dict] = {}
    for _ in range(args.repeats):
        for label, n_threads in counts.items():
            if late_load:
                run = fit_with_late_load(X, n_threads, n_warmup, extra, delay=args.seconds / 4)
            else:
                run = fit_once(X, n_threads, n_warmup, extra)
            print(f"    {label:>8}: {run['threads']} thread(s), {run['threads_at_end']} at the end, "
                  f"{run['seconds']:7.1f} s, {run['steps_per_second']:7.1f} steps/s", flush=True)
            if label not in best or run["seconds"] < best[label]["seconds"]:
                best[label] = run
    reference = min(best[label]["seconds"] for label in ("1", "2") if label in best)
    for run in best.values():
        run["ratio_to_best_of_1_and_2"] = round(run["seconds"] / reference, 3)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30.0, help="target length of one fit (default 30)")
    parser.add_argument("--n-warmup", type=int, default=None, help="fixed warm-up steps instead of --seconds")
    parser.add_argument("--repeats", type=int, default=1, help="fits per setting and condition; the fastest counts")
    parser.add_argument("--quick", action="store_true", help="tiny fits: checks that the script works")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    extra = QUICK if args.quick else {}
    if args.quick:
        args.n_samples, args.n_warmup = min(args.n_samples, 300), args.n_warmup or 20
    out = args.out or results_path("threads_under_load", quick=args.quick)

    X = make_s_curve_3d(n_samples=args.n_samples, random_state=0)
    counts: dict[str, int | None] = {"1": 1, "2": 2, "torch": TORCH_DEFAULT_THREADS, "None": None}
    print(f"{args.n_samples} S-curve rows; torch {torch.__version__}, {os.cpu_count()} logical CPUs, torch's "
          f"default {TORCH_DEFAULT_THREADS} thread(s); 'None' is n_threads=None, the library's policy")

    fit_once(X, 1, 20, extra)  # untimed: the first fit of a process pays for one-off set-up
    conditions = {}
    print("idle:")
    conditions["idle"] = measure(X, counts, args, extra)
    competitor = multiprocessing.get_context("spawn").Process(target=busy_loop, daemon=True)
    competitor.start()
    try:
        time.sleep(0.5)  # let it reach its loop
        print("one competing CPU-bound process:")
        conditions["one_busy_process"] = measure(X, counts, args, extra)
    finally:
        competitor.terminate()
        competitor.join()
    print("a CPU-bound process starting a quarter of the way into each fit:")
    conditions["late_load"] = measure(X, counts, args, extra, late_load=True)

    print("\n condition           " + "".join(f"{label:>12}" for label in counts) + "   (time / best of 1 and 2)")
    for name, runs in conditions.items():
        print(f" {name:<19}" + "".join(f"{runs[label]['ratio_to_best_of_1_and_2']:>12.3f}" for label in counts))

    idle, busy, late = conditions["idle"], conditions["one_busy_process"], conditions["late_load"]
    two_faster_idle = idle["2"]["seconds"] < idle["1"]["seconds"]
    checks = {
        "under_load_threads_of_default": busy["None"]["threads"],
        "under_load_ratio_of_default": busy["None"]["ratio_to_best_of_1_and_2"],
        "under_load_within_20_percent": busy["None"]["ratio_to_best_of_1_and_2"] <= LOAD_LIMIT,
        "idle_threads_of_default": idle["None"]["threads"],
        "idle_two_threads_faster": two_faster_idle,
        "idle_default_uses_two_when_faster": (idle["None"]["threads"] >= 2) if two_faster_idle else True,
        "late_load_threads_of_default_at_end": late["None"]["threads_at_end"],
        "late_load_ratio_of_default": late["None"]["ratio_to_best_of_1_and_2"],
        "late_load_within_20_percent": late["None"]["ratio_to_best_of_1_and_2"] <= LOAD_LIMIT,
    }
    print(f"\nn_threads=None: under load {checks['under_load_threads_of_default']} thread(s), "
          f"{checks['under_load_ratio_of_default']:.3f} of the best of 1 and 2 "
          f"({'within' if checks['under_load_within_20_percent'] else 'beyond'} 20 %); idle "
          f"{checks['idle_threads_of_default']} thread(s), with 2 threads "
          f"{'faster' if two_faster_idle else 'not faster'} than 1"
          + ("" if checks["idle_default_uses_two_when_faster"] else " (the default missed that)"))
    print(f"load arriving during the fit: n_threads=None started with {late['None']['threads']} and ended with "
          f"{checks['late_load_threads_of_default_at_end']} thread(s), {checks['late_load_ratio_of_default']:.3f} of "
          f"the best of 1 and 2 ({'within' if checks['late_load_within_20_percent'] else 'beyond'} 20 %)")

    write_results(out, {
        "n_samples": args.n_samples,
        "quick": args.quick,
        **environment("torch"),
        "logical_cpus": os.cpu_count(),
        "torch_default_threads": TORCH_DEFAULT_THREADS,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "machine": machine(),
        "policy": {"MLP_CPU_THREADS_without_a_load_reading": MLP_CPU_THREADS,
                   "rule": "torch's count capped at the CPUs other processes leave idle, read when fit starts "
                           "and every LOAD_RECHECK_SECONDS while it runs"},
        "conditions": conditions,
        "checks": checks,
    })
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
