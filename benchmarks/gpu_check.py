"""A short check of latentspec on a CUDA GPU: speed against the CPU, mixed precision, MNIST, GPU models on a CPU.

With CUDA (under 10 minutes on one GPU), in one process:

1. a default ``LWGANEstimator(random_state=0)`` fit of scikit-learn's digits
   (``load_digits_scaled``, 1,797 x 64) on the CPU (``--threads``, default: the
   estimator's policy) and on the GPU, each with its phases timed as
   ``benchmarks/fit_speed.py`` times them; a tiny GPU fit first starts CUDA, and its
   time is reported apart;
2. the same fit on the GPU with ``precision="bfloat16"``;
3. ``torch.compile`` and CUDA graphs: ``LWGANEstimator`` has no parameter for
   either, so they are not timed; the script says so (and lists any parameter whose
   name mentions them, should one appear);
4. the 60,000 MNIST training digits with the default convolutional networks
   (``image_shape=(28, 28)``), when ``latentspec.datasets.fetch_mnist`` can load them:
   from its cache (``$LATENTSPEC_DATA/mnist``) or by downloading them, each mirror
   given ``--download-timeout`` seconds. A failure to load is reported, not raised;
5. the GPU models (digits, and MNIST when fitted) saved with ``latentspec.save`` and
   with ``pickle``, loaded in a subprocess that hides the GPU
   (``CUDA_VISIBLE_DEVICES=""``), where ``transform`` must give the codes it gave on
   the GPU within 1e-4.

Without CUDA it says so and runs step 5 only, on a tiny CPU fit (the save/load path,
not the devices). The exit status is 1 when a save/load check fails, else 0.

Run from the repository root::

    python benchmarks/gpu_check.py            # on a machine with a CUDA GPU
    python benchmarks/gpu_check.py --quick    # tiny fits, no MNIST: checks that the script works

Writes ``benchmarks/results/gpu_check.json``; ``--quick``, or a machine without
CUDA, writes to a temporary file unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from _common import add_thread_option, environment, results_path, write_results
from fit_speed import QUICK, timed_fit

import latentspec
from latentspec import LWGANEstimator
from latentspec.datasets import _images, fetch_mnist, load_digits_scaled
from latentspec.exceptions import UnreliableEstimateWarning

TOLERANCE = 1e-4  # largest difference allowed between the codes on the GPU and after loading on the CPU
MNIST_ROWS_CHECKED = 2000
LOAD_TIMEOUT_S = 300


# ------------------------------------------------------------- save and load
def load_check(folder: Path) -> dict:
    """Load every model of ``folder/manifest.json`` both ways and compare its codes (run with CUDA hidden).

    Writes and returns ``{"cuda_available": ..., "results": [...]}``, one result per
    model and way of loading: the device it landed on, the largest absolute
    difference of its codes from the recorded ones, and the warnings loading gave.
    """
    results = []
    for entry in json.loads((folder / "manifest.json").read_text()):
        rows, codes = np.load(folder / entry["rows"]), np.load(folder / entry["codes"])
        for how in ("latentspec.load", "pickle"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if how == "pickle":
                    with open(folder / entry["pickle"], "rb") as file:
                        estimator = pickle.load(file)
                else:
                    estimator = latentspec.load(folder / entry["model"])
            loaded = estimator.transform(rows)
            results.append({
                "model": entry["name"],
                "how": how,
                "device": str(estimator.device_),
                "max_abs_diff": float(np.max(np.abs(loaded.astype(np.float64) - codes))),
                "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
            })
    report = {"cuda_available": torch.cuda.is_available(), "results": results}
    (folder / "loaded.json").write_text(json.dumps(report, indent=2))
    return report


def check_save_load(models: dict[str, tuple[LWGANEstimator, np.ndarray]]) -> dict:
    """Save every fitted model two ways, load them in a subprocess without CUDA, compare the codes.

    Parameters
    ----------
    models : dict
        name -> (fitted estimator, rows to encode).

    Returns
    -------
    dict
        ``ok`` (every code within :data:`TOLERANCE` and CUDA hidden in the
        subprocess), ``tolerance``, the subprocess's ``cuda_available``,
        ``results`` (see :func:`load_check`) and, if it failed, its ``error``.
    """
    with tempfile.TemporaryDirectory(prefix="latentspec_gpu_check_") as tmp:
        folder = Path(tmp)
        manifest = []
        for i, (name, (estimator, rows)) in enumerate(models.items()):
            entry = {"name": name, "model": f"m{i}.safetensors", "pickle": f"m{i}.pkl", "rows": f"x{i}.npy",
                     "codes": f"z{i}.npy", "fitted_on": str(estimator.device_)}
            latentspec.save(estimator, folder / entry["model"])
            with open(folder / entry["pickle"], "wb") as file:
                pickle.dump(estimator, file)
            np.save(folder / entry["rows"], rows)
            np.save(folder / entry["codes"], estimator.transform(rows).astype(np.float64))
            manifest.append(entry)
        (folder / "manifest.json").write_text(json.dumps(manifest))
        # The subprocess imports this latentspec (the one this process runs), with the GPU hidden.
        root = str(Path(latentspec.__file__).resolve().parents[1])
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": "",
               "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--load-check", str(folder)],
                              env=env, capture_output=True, text=True, timeout=LOAD_TIMEOUT_S)
        if done.returncode != 0 or not (folder / "loaded.json").exists():
            return {"ok": False, "tolerance": TOLERANCE, "error": done.stderr[-4000:], "results": []}
        report = json.loads((folder / "loaded.json").read_text())
    ok = not report["cuda_available"] and all(r["max_abs_diff"] <= TOLERANCE for r in report["results"])
    return {"ok": ok, "tolerance": TOLERANCE, **report}


def print_save_load(check: dict) -> None:
    if "error" in check:
        print(f"save/load: FAIL, the loading subprocess failed:\n{check['error']}")
        return
    print(f"save/load, loaded in a subprocess with CUDA_VISIBLE_DEVICES='' (CUDA there: {check['cuda_available']}):")
    for r in check["results"]:
        verdict = "ok" if r["max_abs_diff"] <= TOLERANCE else "FAIL"
        print(f"  {r['model']:<24} {r['how']:<16} on {r['device']:<5} largest code difference "
              f"{r['max_abs_diff']:.2e} ({verdict}, tolerance {TOLERANCE:g}); warnings: {r['warnings'] or 'none'}")


# --------------------------------------------------------------------- timing
def fit_entry(name: str, estimator: LWGANEstimator, X: np.ndarray) -> dict:
    """Fit and time ``estimator`` on ``X``: its phases, estimate, device and the warnings of the fit."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = timed_fit(estimator, X)
    entry = {"run": name, "device": str(estimator.device_), "precision": estimator.precision,
             "n_threads": estimator.n_threads_, "intrinsic_dim": estimator.intrinsic_dim_,
             "latent_dim": estimator.latent_dim_, **fit,
             "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}
    phases = "; ".join(f"{p} {v['seconds']:.1f}" for p, v in fit["phases"].items() if v["seconds"] >= 0.05)
    print(f"  {name:<16} {fit['fit_seconds']:7.1f} s  estimate {estimator.intrinsic_dim_} "
          f"(ranks 1-{estimator.latent_dim_})  [{phases}]"
          + (f"  ({len(caught)} warning(s), in the results file)" if caught else ""), flush=True)
    return entry


def tiny_fit(X: np.ndarray, device: str, n_threads: int | None = None) -> LWGANEstimator:
    """A fit with tiny networks and few steps, whose estimate means nothing (its warnings are silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreliableEstimateWarning)
        return LWGANEstimator(**QUICK, random_state=0, device=device, n_threads=n_threads).fit(X)


def compile_options() -> list[str]:
    """The parameters of ``LWGANEstimator`` that would switch on ``torch.compile`` or CUDA graphs."""
    return sorted(p for p in LWGANEstimator().get_params() if "compile" in p or "graph" in p)


def mnist_fit(args: argparse.Namespace) -> tuple[dict, LWGANEstimator | None, np.ndarray | None]:
    """Fit the 60,000 MNIST training digits on the GPU, if ``fetch_mnist`` can load them."""
    start = time.perf_counter()
    try:
        with mock.patch.object(_images, "_DOWNLOAD_TIMEOUT_S", args.download_timeout):
            X, _ = fetch_mnist(subset="train", dtype=np.float32)
    except (OSError, ValueError) as error:
        print(f"MNIST: could not be loaded after {time.perf_counter() - start:.0f} s, so it is not fitted: {error}")
        return {"loaded": False, "error": str(error)}, None, None
    print(f"MNIST: {X.shape[0]} x {X.shape[1]} loaded in {time.perf_counter() - start:.1f} s; "
          "default convolutional networks on the GPU:")
    estimator = LWGANEstimator(image_shape=(28, 28), random_state=0, device="cuda")
    return {"loaded": True, **fit_entry("mnist cuda", estimator, X)}, estimator, X[:MNIST_ROWS_CHECKED]


def cuda_part(args: argparse.Namespace, X: np.ndarray, record: dict) -> dict[str, tuple[LWGANEstimator, np.ndarray]]:
    """Steps 1 to 4 (see the module docstring); returns the GPU models for the save/load check."""
    params = {"random_state": 0, **(QUICK if args.quick else {})}
    record["device_name"] = torch.cuda.get_device_name()
    record["tf32"] = {"cuda_matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32}
    print(f"CUDA: {record['device_name']}, torch {torch.__version__}, latentspec {latentspec.__version__}")
    start = time.perf_counter()
    tiny_fit(X[:300], "cuda")
    record["cuda_start_seconds"] = time.perf_counter() - start
    print(f"a tiny GPU fit to start CUDA: {record['cuda_start_seconds']:.1f} s")
    print(f"digits ({X.shape[0]} x {X.shape[1]}), {'quick settings' if args.quick else 'default fits'}:")
    runs = {"cpu float32": {"device": "cpu", "n_threads": args.threads},
            "cuda float32": {"device": "cuda"},
            "cuda bfloat16": {"device": "cuda", "precision": "bfloat16"}}
    estimators = {name: LWGANEstimator(**params, **extra) for name, extra in runs.items()}
    record["digits"] = [fit_entry(name, estimator, X) for name, estimator in estimators.items()]
    cpu = record["digits"][0]["fit_seconds"]
    for entry in record["digits"][1:]:
        print(f"  {entry['run']}: {cpu / entry['fit_seconds']:.2f} x the CPU fit's speed")
    offered = compile_options()
    record["compile_and_cuda_graphs"] = {
        "parameters": offered,
        "note": "LWGANEstimator offers no torch.compile or CUDA graphs option, so neither is timed"
        if not offered else "LWGANEstimator has these parameters, which this script does not time yet",
    }
    print(f"torch.compile and CUDA graphs: {record['compile_and_cuda_graphs']['note']}"
          + (f": {offered}" if offered else "; only float32 and bfloat16 are timed"))
    models = {"digits cuda float32": (estimators["cuda float32"], X)}
    if args.quick or args.no_mnist:
        record["mnist"] = {"skipped": "--quick" if args.quick else "--no-mnist"}
        print(f"MNIST: skipped ({record['mnist']['skipped']})")
    else:
        record["mnist"], estimator, rows = mnist_fit(args)
        if estimator is not None:
            models["mnist cuda float32"] = (estimator, rows)
    return models


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_thread_option(parser, help="torch threads of the CPU fit (default: the estimator's policy)")
    parser.add_argument("--no-mnist", action="store_true", help="leave out the MNIST fit")
    parser.add_argument("--download-timeout", type=float, default=10.0,
                        help="seconds each MNIST mirror gets to answer (default 10)")
    parser.add_argument("--quick", action="store_true", help="tiny fits, no MNIST: checks that the script works")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--load-check", type=Path, default=None, help=argparse.SUPPRESS)  # the subprocess's part
    args = parser.parse_args(argv)
    if args.load_check is not None:
        return load_check(args.load_check)

    cuda = torch.cuda.is_available()
    out = args.out or results_path("gpu_check", quick=args.quick or not cuda)
    X = load_digits_scaled()[0].astype(np.float32)
    record = {"environment": environment(), "cuda": cuda, "quick": args.quick}
    start = time.perf_counter()
    if cuda:
        models = cuda_part(args, X, record)
    else:
        print("CUDA is not available here (torch.cuda.is_available() is False): nothing to time on a GPU. "
              "Checking the save/load path with a tiny CPU fit instead.")
        models = {"digits cpu (tiny)": (tiny_fit(X, "cpu", args.threads), X[:500])}
    record["save_load"] = check_save_load(models)
    print_save_load(record["save_load"])
    record["seconds"] = time.perf_counter() - start
    record["ok"] = record["save_load"]["ok"]
    write_results(out, record)
    print(f"{'all checks passed' if record['ok'] else 'a check FAILED'} ({record['seconds']:.0f} s); wrote {out}")
    return record


if __name__ == "__main__":
    result = main()
    sys.exit(0 if result.get("ok", True) else 1)
