"""What contradicts an intrinsic dimension estimate: the evidence behind ``UnreliableEstimateWarning``.

Each function returns the reason, in words a user can act on, or None when the
evidence agrees with the estimate. ``LWGANEstimator.fit`` puts every reason in
``diagnostics_["problems"]`` and warns with it.
"""

from __future__ import annotations

import math

__all__ = [
    "AGREEMENT_FACTOR",
    "MEMORISATION_FACTOR",
    "MEMORISATION_SPREAD",
    "beyond_sample_resolution",
    "disagreement_with_first_estimate",
    "memorisation",
    "resolvable_dimension",
]

# How far the LWGAN estimate and the TwoNN first estimate may differ before fit warns:
# the factor the default range already allows TwoNN to be off by (ceil(2 * TwoNN) + 2).
AGREEMENT_FACTOR = 2.0
# How many times the training rows' reconstruction error the held-out rows' may be before fit warns that the
# networks memorise. Networks that learnt the manifold reconstruct new rows about as well as the rows they saw;
# networks that learnt the rows themselves reconstruct new rows several times worse.
MEMORISATION_FACTOR = 2.0
# ... and the share of the data's spread (root-mean-square distance of the rows from their mean) the held-out
# error must also exceed: a small error that is smaller still on the training rows (the swiss roll's rank 2: 8 %
# of the spread held out, 3 % on the training rows; docs/lwgan.md) still describes the manifold.
MEMORISATION_SPREAD = 0.2


def disagreement_with_first_estimate(estimate: int, first_estimate: float, n_features: int) -> str | None:
    """Why ``estimate`` and the TwoNN ``first_estimate`` cannot both be right, or None when they agree.

    They disagree when one is more than :data:`AGREEMENT_FACTOR` times the other
    (the first estimate capped at ``n_features``); an undefined first estimate agrees
    with anything.

    Examples
    --------
    >>> disagreement_with_first_estimate(2, 2.1, 3) is None
    True
    >>> print(disagreement_with_first_estimate(1, 42.5, 100))
    the estimate 1 is less than half the nearest-neighbour (TwoNN) estimate 42.5
    """
    if not math.isfinite(first_estimate) or first_estimate <= 0:
        return None
    first = min(first_estimate, n_features)
    if estimate * AGREEMENT_FACTOR < first:
        return f"the estimate {estimate} is less than half the nearest-neighbour (TwoNN) estimate {first:.1f}"
    if estimate > AGREEMENT_FACTOR * first:
        return f"the estimate {estimate} is more than twice the nearest-neighbour (TwoNN) estimate {first:.1f}"
    return None


def memorisation(train_error: float, heldout_error: float, rank: int, spread: float) -> str | None:
    """Why the networks at ``rank`` learnt their training rows rather than the manifold, or None.

    They did when the mean reconstruction error of held-out rows is more than
    :data:`MEMORISATION_FACTOR` times that of the training rows and more than
    :data:`MEMORISATION_SPREAD` times ``spread``, the root-mean-square distance of
    the rows from their mean (in the same units as the errors).

    Examples
    --------
    >>> memorisation(0.10, 0.12, 3, spread=2.0) is None
    True
    >>> memorisation(0.05, 0.15, 2, spread=1.7) is None  # three times worse, but 9 % of the spread
    True
    >>> print(memorisation(0.05, 0.60, 12, spread=2.0).split(": ")[1])  # doctest: +NORMALIZE_WHITESPACE
    at rank 12 the held-out rows are reconstructed 12x worse (error 0.6, 30 % of the spread)
    than the training rows (0.05)
    """
    if not (math.isfinite(train_error) and math.isfinite(heldout_error)) or train_error <= 0:
        return None
    ratio = heldout_error / train_error
    if ratio <= MEMORISATION_FACTOR or heldout_error <= MEMORISATION_SPREAD * spread:
        return None
    return (
        f"the networks memorise their training rows: at rank {rank} the held-out rows are reconstructed "
        f"{ratio:.2g}x worse (error {heldout_error:.3g}, {100 * heldout_error / spread:.0f} % of the spread) than "
        f"the training rows ({train_error:.3g})"
    )


def resolvable_dimension(n_samples: int) -> float:
    """The largest dimension ``n_samples`` rows can resolve: ``2 log10(n_samples)`` (Eckmann and Ruelle 1992).

    Eckmann and Ruelle ("Fundamental limitations for estimating dimensions and
    Lyapunov exponents in dynamical systems", Physica D 56, 1992) show that estimates
    from the distances between ``n`` points cannot exceed about ``2 log10(n)``: the
    pairs of points close enough to see the manifold's dimension run out. Nearest-
    neighbour estimators, and networks that must learn a chart of the manifold from
    the same rows, read higher dimensions too low: on the standard benchmark at
    1,000 rows they put the 20-dimensional affine set M9 at 13 to 17 (the LWGAN at
    10), and every LWGAN estimate above 6 there is wrong
    (``benchmarks/benchmark_manifolds.py``).

    Examples
    --------
    >>> resolvable_dimension(1000), round(resolvable_dimension(2500), 1)
    (6.0, 6.8)
    """
    return 2.0 * math.log10(max(int(n_samples), 1))


def beyond_sample_resolution(estimate: int, n_samples: int) -> str | None:
    """Why ``n_samples`` rows are too few to trust ``estimate``, or None.

    They are when the estimate is above :func:`resolvable_dimension`: the dimension
    is then likely higher than it says, and more rows are the remedy.

    Examples
    --------
    >>> beyond_sample_resolution(6, 1000) is None
    True
    >>> print(beyond_sample_resolution(10, 1000))  # doctest: +NORMALIZE_WHITESPACE
    the estimate 10 is above the 6 dimensions that 1000 rows resolve (2 log10 of the rows, Eckmann and
    Ruelle 1992); estimates this high from so few rows tend to be too low, so the true dimension may be
    higher; more rows help
    """
    limit = resolvable_dimension(n_samples)
    if estimate <= limit:
        return None
    return (
        f"the estimate {estimate} is above the {limit:.3g} dimensions that {n_samples} rows resolve (2 log10 of the "
        "rows, Eckmann and Ruelle 1992); estimates this high from so few rows tend to be too low, so the true "
        "dimension may be higher; more rows help"
    )
