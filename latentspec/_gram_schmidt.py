"""Label directions made orthogonal: the Gram-Schmidt step of the deep LSD basis.

:func:`_gram_schmidt` orthogonalises the class means of
:class:`latentspec.QuasiEigenBasis` in order and completes them to an orthogonal
basis of the latent space with the standard basis vectors.
"""

from __future__ import annotations

import numpy as np

# A mean whose Gram-Schmidt residual is below this fraction of its own norm adds no
# new direction (it lies in the span of the vectors before it) and is dropped.
_RTOL = 1e-8


def _gram_schmidt(vectors: np.ndarray, n_required: int, classes: np.ndarray, hint: str = "") -> tuple[np.ndarray, int]:
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
                f"more dimensions, or merge classes that share a direction){hint}"
            )
    n_from_vectors = n_kept
    for j in range(d):
        if n_kept == d:
            break
        add(np.eye(d)[j])
    return basis, n_from_vectors
