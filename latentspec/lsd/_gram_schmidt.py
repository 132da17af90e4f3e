"""Label directions made orthogonal: the Gram-Schmidt step of the deep LSD basis.

:func:`_gram_schmidt` orthogonalises the class means of
:class:`latentspec.QuasiEigenBasis` in order and completes them to an orthogonal
basis of the latent space with the standard basis vectors. :func:`_lift_class_means`
first gives class means that point away from each other (the means of centred
codes, which sum to zero) a common offset along a direction they do not use.
"""

from __future__ import annotations

import numpy as np

# A mean whose Gram-Schmidt residual is below this fraction of its own norm adds no
# new direction (it lies in the span of the vectors before it) and is dropped.
_RTOL = 1e-8


def _lift_class_means(means: np.ndarray) -> tuple[np.ndarray, float]:
    """Shift negatively correlated class means along a new common direction until they are orthogonal on average.

    The class means of codes from a centred latent law (such as ``N(0, I)``),
    weighted by class size, sum to zero: ``K`` of them span at most ``K - 1``
    directions, and Gram-Schmidt in class order leaves the last class a direction
    made of noise. With ``g < 0`` the mean inner product of two different class
    means and ``n`` a unit vector orthogonal to all of them, the lifted means
    ``m_k + sqrt(-g) n`` have mean inner product zero (a regular simplex becomes
    exactly orthogonal). The shared component ``<n, z>`` adds the same amount to
    every label coefficient's direction, so it cannot favour one class. Means that
    are orthogonal or point the same way on average (``g >= 0``), or that leave no
    direction free, are returned unchanged.

    Returns the means and the offset ``sqrt(-g)`` (0 when unchanged).

    Examples
    --------
    >>> import numpy as np
    >>> simplex = np.array([[1.0, 0.0, 0.0], [-0.5, 0.75 ** 0.5, 0.0], [-0.5, -(0.75 ** 0.5), 0.0]])
    >>> lifted, offset = _lift_class_means(simplex)
    >>> np.round(lifted @ lifted.T, 12) + 0.0, round(offset, 6)
    (array([[1.5, 0. , 0. ],
           [0. , 1.5, 0. ],
           [0. , 0. , 1.5]]), 0.707107)
    """
    n_classes, d = means.shape
    gram = means @ means.T
    off_diagonal = (gram.sum() - np.trace(gram)) / (n_classes * (n_classes - 1))
    if not off_diagonal < 0:
        return means, 0.0
    # A direction outside the span of the means: the standard basis vector that keeps
    # most of its length after projecting the span out (deterministic, no random sign).
    _, singular, vt = np.linalg.svd(means, full_matrices=True)
    rank = int((singular > _RTOL * singular.max()).sum())
    if rank >= d:
        return means, 0.0
    span = vt[:rank]
    residuals = np.eye(d) - span.T @ span  # row j: e_j with the span projected out
    direction = residuals[np.argmax(np.linalg.norm(residuals, axis=1))]
    direction /= np.linalg.norm(direction)
    offset = float(np.sqrt(-off_diagonal))
    return means + offset * direction, offset


def _gram_schmidt(vectors: np.ndarray, n_required: int, classes: np.ndarray) -> tuple[np.ndarray, int]:
    """Modified Gram-Schmidt over ``vectors`` in order, completed with e_1..e_d.

    Returns the unit rows ``(d, d)`` and how many of them come from ``vectors``.
    Each vector is orthogonalised twice against the rows kept so far (twice is
    enough for orthogonality to machine precision); a vector whose residual is
    below ``_RTOL`` of its own norm lies in their span and is dropped, except
    that the first ``n_required`` (the round-0 class means) must all be kept.
    """
    d = vectors.shape[1]
    basis = np.zeros((d, d))
    n_kept = 0

    def add(vector: np.ndarray) -> bool:
        nonlocal n_kept
        size = np.linalg.norm(vector)
        residual = vector.copy()
        for _ in range(2):
            for row in basis[:n_kept]:
                residual -= (row @ residual) * row
        norm = np.linalg.norm(residual)
        if not np.isfinite(norm) or norm <= _RTOL * size or norm == 0:
            return False
        basis[n_kept] = residual / norm
        n_kept += 1
        return True

    for i, vector in enumerate(vectors):
        if n_kept == d:
            break
        if not add(vector) and i < n_required:
            raise ValueError(
                f"the mean latent code of class {classes[i]!r} lies in the span of the means of the classes "
                f"before it ({classes[:i].tolist()}): the {n_required} class means are linearly dependent, so "
                "no separate label direction can be built for every class. Latent codes whose class means "
                "are distinct directions from the origin are needed (e.g. fit the latent model longer or with "
                "more dimensions, or merge classes that share a direction)"
            )
    n_from_vectors = n_kept
    for j in range(d):
        if n_kept == d:
            break
        add(np.eye(d)[j])
    return basis, n_from_vectors
