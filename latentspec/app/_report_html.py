"""The demo's HTML page: the results dict of :func:`latentspec.run_demo` as ``index.html``.

:func:`render_html` writes the key numbers, one section per part of the demo with its
figures (PNG files next to the page, named in ``results["figures"]``), and the timings
and versions. The page is self-contained: nothing is fetched from elsewhere.
"""

from __future__ import annotations

import html
from typing import Any

from ._rank_report import format_ranks

__all__ = ["render_html"]

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; } td, th { padding: 0.25em 0.8em; border: 1px solid #ccc; }
th { background: #f3f3f3; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.92em; max-width: 900px; } .note { color: #666; font-size: 0.9em; }
"""

# The alternative text and the caption of every figure, by its key in ``results["figures"]``.
_FIGURES = {
    "rank_scores": (
        "rank scores",
        "Left: the mean score of every rank (lower is better) with its standard error; the estimate in red. "
        "Right: the ranks near the estimate, their score minus the best one, with the paired standard error of "
        "that difference.",
    ),
    "samples_per_rank": (
        "samples per rank",
        "Generator samples at every rank, one row per rank, the same latent draws in every row; "
        "the estimate is marked with *.",
    ),
    "samples_beside_data": (
        "samples beside real digits",
        "Left: digits of the data set drawn at random. Right: generator samples at the estimated rank, "
        "at the same size. The generator is the decoder of the auto-encoder (the LWGAN game is off by "
        "default); its samples are blurrier than the digits.",
    ),
    "training_history": ("training history", "Training losses of the intrinsic-dimension model, by phase."),
    "lsd_spectrum": (
        "LSD spectrum",
        "Spectral coefficients of one held-out digit: the label directions first (largest in red), "
        "then the rest of the basis.",
    ),
    "training_history_labelled": ("training history of the labelled model", "Training losses of the labelled model."),
    "denoising_grid": (
        "denoising grid",
        "One held-out digit of each class: clean, noisy, denoised by LSD, denoised by PCA.",
    ),
    "rotation_morph": (
        "rotation morphs",
        "One held-out digit per row, decoded along its rotation from 0 to 90 degrees, "
        "where it should be the target digit.",
    ),
}


def _table(rows: list[tuple[str, str]], header: tuple[str, str] | None = None, numbers: bool = True) -> str:
    """A two-column table; ``numbers`` right-aligns the values."""
    head = f"<tr><th>{html.escape(header[0])}</th><th>{html.escape(header[1])}</th></tr>" if header else ""
    cell = "<td class='num'>" if numbers else "<td>"
    body = "".join(f"<tr><th>{html.escape(k)}</th>{cell}{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{head}{body}</table>"


def _figure(files: dict[str, str], key: str) -> str:
    """The figure ``key``: its file from ``files``, its alternative text and caption from ``_FIGURES``."""
    alt, caption = _FIGURES[key]
    return (f"<figure><img src='{html.escape(files[key])}' alt='{html.escape(alt)}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _first_estimate_note(u: dict[str, Any]) -> str:
    """The nearest-neighbour estimate, and what contradicts the LWGAN estimate, for the key-numbers table."""
    if u.get("first_estimate") is None:  # results written before 0.2
        return ""
    note = f"; nearest-neighbour (TwoNN) estimate {u['first_estimate']:.1f}"
    return note + "".join(f"; WARNING, cannot be trusted: {problem}" for problem in u.get("problems", []))


def _key_numbers(r: dict[str, Any]) -> list[tuple[str, str]]:
    """The rows of the first table: one number of every part, the wall time and the seed."""
    u, basis, den, rot = r["intrinsic_dimension"]["uncertainty"], r["quasi_eigenbasis"], r["denoising"], r["rotations"]
    return [
        ("intrinsic dimension (LWGAN, rank='auto')",
         f"{u['estimate']} (its score {u['score']:.3f} ± {u['std_error']:.3f}; best-scoring rank "
         f"{u['best_rank']}; ranks within one paired std. error of it: {format_ranks(u['within_one_se'])}"
         + _first_estimate_note(u) + ")"),
        ("LSD label accuracy, held-out digits", f"{basis['accuracy']:.3f} ({basis['n_test']} digits)"),
        ("denoising MSE, LSD recipe",
         f"{den['mse_lsd']:.4f} (k = {den['lsd_n_components']} coefficients, chosen by SURE; noise level "
         f"estimated {den['noise_std_estimate']:.3f})"),
        ("denoising MSE, PCA", f"{den['mse_pca']:.4f} ({den['pca_n_components']} components)"),
        ("denoising MSE, noisy input", f"{den['mse_noisy_input']:.4f}"),
        ("rotation success (SVC labels the target)", f"{rot['mean_success']:.3f} (mean of {len(rot['pairs'])} pairs)"),
        ("SVC judge accuracy, clean held-out digits", f"{rot['judge_accuracy_clean_test']:.3f}"),
        ("wall time", f"{r['seconds']['total']:.0f} s (torch threads: {r['torch_threads']}, device: {r['device']}"
                      f"{_workers_note(r.get('worker_processes'))})"),
        ("random_state", str(r["random_state"])),
    ]


def _workers_note(workers: dict[str, int] | None) -> str:
    """How many fits ran side by side, for the wall-time line (nothing for results that do not say)."""
    if not workers or max(workers.values()) <= 1:
        return "" if not workers else "; fits one after the other"
    return f"; fits side by side in up to {max(workers.values())} worker processes"


def render_html(r: dict[str, Any]) -> str:
    """The page ``index.html`` for the results ``r`` (the content of ``results.json``)."""
    dim, basis, den, rot = r["intrinsic_dimension"], r["quasi_eigenbasis"], r["denoising"], r["rotations"]
    fig, secs = r["figures"], r["seconds"]
    timings = [(name, f"{seconds:.1f} s") for name, seconds in secs.items()]
    versions = list(r["versions"].items())
    pair_rows = "".join(
        f"<tr><td>{p['source']} → {p['target']}</td><td class='num'>{p['n']}</td>"
        f"<td class='num'>{p['success']:.2f}</td></tr>" for p in rot["pairs"]
    )
    quick = ("<p class='note'><b>Quick mode</b>: tiny networks and few steps; "
             "the numbers below say little about the method.</p>") if r["quick"] else ""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>latentspec report: scikit-learn digits</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>latentspec report: scikit-learn's digits</h1>",
        f"<p class='note'>{html.escape(r['data'])}; latentspec {html.escape(r['versions']['latentspec'])}.</p>",
        quick,
        "<h2>Key numbers</h2>", _table(_key_numbers(r), numbers=False),
        "<h2>1. Intrinsic dimension</h2>",
        f"<p>LWGANEstimator trains one encoder and generator for every rank 1..{dim['latent_dim']} on all "
        f"{dim['n_samples']} digits, scores every rank on fresh batches (lower is better) and picks the estimate "
        f"with its rank rule '{html.escape(dim['rank_rule'])}' (for 'authors', the smallest mean score after a "
        "penalty that grows with the rank). The best-scoring rank and the ranks within one paired standard error "
        "of it show how sure the estimate is.</p>",
        _figure(fig, "rank_scores"),
        _figure(fig, "samples_per_rank"),
        _figure(fig, "samples_beside_data"),
        _figure(fig, "training_history"),
        "<h2>2. Quasi-eigenbasis and LSD label accuracy</h2>",
        f"<p>Pipeline LWGANEstimator(latent_dim={basis['latent_dim']}, rank={basis['latent_dim']}, "
        f"label_weight={basis['label_weight']:g}) → QuasiEigenBasis, fitted on a stratified split of "
        f"{basis['n_train']} digits; the predicted label of a held-out digit is its largest label coefficient. "
        f"Accuracy on {basis['n_test']} held-out digits: <b>{basis['accuracy']:.3f}</b>.</p>",
        _figure(fig, "lsd_spectrum"),
        _figure(fig, "training_history_labelled"),
        "<h2>3. Denoising</h2>",
        f"<p>The protocol of scikit-learn's kernel-PCA denoising example: Gaussian noise of standard deviation "
        f"{den['noise_std']} on the {den['n_train']} training and the {den['n_test']} held-out digits. A model "
        f"LWGANEstimator (as above, with dropout={den['dropout']} so that it does not learn the noise) → "
        "LatentSpectralDenoiser, which keeps the k largest spectral coefficients of every code, followed by a "
        "Wiener filter of what the model leaves out (ResidualWiener, residual threshold "
        f"{den['residual_threshold']:.2f} noise variances), and PCA are fitted on the noisy training digits. "
        "No clean digit chooses anything: the noise level is estimated from the noisy training digits "
        f"({den['noise_std_estimate']:.3f}), and k and the number of PCA components are those with the lowest "
        "Stein unbiased risk estimate on the noisy held-out digits. "
        "Mean squared error against the clean held-out digits: "
        f"LSD <b>{den['mse_lsd']:.4f}</b>, PCA <b>{den['mse_pca']:.4f}</b>, noisy input "
        f"{den['mse_noisy_input']:.4f} (LSD keeping all coefficients: {den['mse_lsd_all_components']:.4f}).</p>",
        _figure(fig, "denoising_grid"),
        "<h2>4. Rotations</h2>",
        "<p>The codes of the held-out digits of the source class are rotated by π/2 in the plane of the two label "
        "directions and decoded; an SVC trained on the clean training digits (accuracy "
        f"{rot['judge_accuracy_clean_test']:.3f} on the clean held-out digits) labels them. Success is the share "
        f"labelled as the target; mean <b>{rot['mean_success']:.3f}</b>.</p>",
        f"<table><tr><th>pair</th><th>digits</th><th>success</th></tr>{pair_rows}</table>",
        _figure(fig, "rotation_morph"),
        "<h2>Timings and versions</h2>",
        _table(timings, ("step", "seconds")),
        _table(versions, ("package", "version")),
        "<p class='note'>Numbers as written to results.json in this folder.</p>",
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"
