"""Peak memory of LWGANEstimator.transform / inverse_transform / sample beyond their output.

Fits one small model on the S-curve, then, for 10^4, 10^5 and 10^6 rows, runs each
method in a fresh subprocess and reports the peak resident memory it added beyond
the array it returns: ``peak RSS after the call - RSS just before it - output
bytes``. The methods work in chunks of ``latentspec.lwgan.core._batching.CHUNK_ROWS`` rows; for
comparison the same is measured with chunking switched off (one chunk of every
row, as before), in the same run.

Run from the repository root (about a minute)::

    python benchmarks/transform_memory.py

The results also go to ``benchmarks/results/transform_memory.json``.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import results_path, write_results

ROWS = (10_000, 100_000, 1_000_000)
METHODS = ("transform", "inverse_transform", "sample")

_CHILD = r"""
import os, pickle, resource, sys
import numpy as np
import torch
import latentspec.lwgan.core._batching as batching

torch.set_num_threads(1)
path, method, n, chunked = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
if not chunked:
    batching.CHUNK_ROWS = 10**9
with open(path, "rb") as f:
    model = pickle.load(f)
rng = np.random.default_rng(0)
arg = {
    "transform": lambda: rng.standard_normal((n, model.n_features_in_)),
    "inverse_transform": lambda: rng.standard_normal((n, model.rank_)),
    "sample": lambda: n,
}[method]()
model.sample(2, random_state=0)  # warm up torch before measuring

def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

before = rss()
out = model.sample(arg, random_state=0) if method == "sample" else getattr(model, method)(arg)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(max(peak, rss()) - before - out.nbytes, out.nbytes)
"""


def measure(path: str, method: str, n: int, chunked: bool) -> tuple[int, int]:
    """Extra peak bytes beyond the output, and the output's bytes, in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, path, method, str(n), "1" if chunked else "0"],
        check=True,
        capture_output=True,
        text=True,
    )
    extra, output = result.stdout.split()
    return int(extra), int(output)


def main(argv: list[str] | None = None) -> dict:
    """Fit the model, measure every method and row count, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=results_path("transform_memory"))
    args = parser.parse_args(argv)

    import torch

    from latentspec import LWGANEstimator
    from latentspec.datasets import make_s_curve_3d
    from latentspec.lwgan.core._batching import CHUNK_ROWS

    torch.set_num_threads(1)
    model = LWGANEstimator(latent_dim=3, rank=2, n_warmup=200, n_critic_refit=10, random_state=0)
    model.fit(make_s_curve_3d(n_samples=2000, random_state=0))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model.pkl")
        with open(path, "wb") as f:
            pickle.dump(model, f)
        print(f"extra peak memory beyond the output, MB (chunks of {CHUNK_ROWS} rows vs one chunk)")
        print(f"{'method':<18}{'rows':>10}{'output MB':>11}{'chunked':>10}{'unchunked':>11}")
        for method in METHODS:
            for n in ROWS:
                extra, output = measure(path, method, n, chunked=True)
                extra_whole, _ = measure(path, method, n, chunked=False)
                rows.append(
                    {"method": method, "rows": n, "output_bytes": output, "extra_bytes_chunked": extra,
                     "extra_bytes_unchunked": extra_whole}
                )
                print(f"{method:<18}{n:>10}{output / 2**20:>11.1f}{extra / 2**20:>10.1f}{extra_whole / 2**20:>11.1f}")
    results = {"benchmark": "transform_memory", "chunk_rows": CHUNK_ROWS, "rows": rows}
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main()
