"""Measures of how good a generator's samples are, shared by the sample-quality benchmark.

* **FD**: the Frechet distance between Gaussians fitted to the hidden-layer features of
  a classifier trained on the real training images, for real held-out images and for
  generated ones (a small-scale FID, Heusel et al. 2017).
* **conf**: the share of generated samples that classifier labels with probability at
  least 0.9 (a digit that looks like one digit, not a blend).
* **precision / recall**: the k-nearest-neighbour manifold estimates of Kynkaanniemi,
  Karras, Laine, Lehtinen and Aila (NeurIPS 2019), in pixel space: a generated sample
  is *precise* when it lies inside the k-NN ball of some real sample, a real sample is
  *recalled* when it lies inside the k-NN ball of some generated one.

Nothing here imports torch.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg
from sklearn.neighbors import NearestNeighbors
from sklearn.neural_network import MLPClassifier

__all__ = ["FeatureClassifier", "frechet_distance", "knn_precision_recall", "sample_metrics"]


class FeatureClassifier:
    """A one-hidden-layer MLP trained on real images; its hidden layer gives the FD's features.

    Parameters
    ----------
    hidden : int
        Units of the hidden layer.
    random_state : int
    """

    def __init__(self, hidden: int = 256, random_state: int = 0):
        self.mlp = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=1000, random_state=random_state)

    def fit(self, X: np.ndarray, y: np.ndarray) -> FeatureClassifier:
        self.mlp.fit(X, y)
        return self

    def features(self, X: np.ndarray) -> np.ndarray:
        """The ReLU activations of the hidden layer."""
        return np.maximum(X @ self.mlp.coefs_[0] + self.mlp.intercepts_[0], 0.0)

    def confident_share(self, X: np.ndarray, threshold: float = 0.9) -> float:
        """Share of rows whose most probable class has probability ``>= threshold``."""
        return float((self.mlp.predict_proba(X).max(axis=1) >= threshold).mean())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to the rows of ``a`` and of ``b``."""
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():  # features that never fire make both covariances singular
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_a @ cov_b)
    if np.iscomplexobj(root):
        root = root.real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * root))


def _inside_any_ball(centres: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Whether each query lies within the k-NN radius (among ``centres``) of some centre."""
    radii = NearestNeighbors(n_neighbors=k + 1).fit(centres).kneighbors(centres)[0][:, -1]
    distances = np.sqrt(np.maximum(
        (queries**2).sum(1)[:, None] + (centres**2).sum(1)[None, :] - 2.0 * queries @ centres.T, 0.0))
    return (distances <= radii[None, :]).any(axis=1)


def knn_precision_recall(real: np.ndarray, generated: np.ndarray, k: int = 5) -> tuple[float, float]:
    """Kynkaanniemi et al.'s improved precision and recall with ``k`` neighbours."""
    precision = float(_inside_any_ball(real, generated, k).mean())
    recall = float(_inside_any_ball(generated, real, k).mean())
    return precision, recall


def sample_metrics(
    classifier: FeatureClassifier, real_features: np.ndarray, real: np.ndarray, generated: np.ndarray, k: int = 5
) -> dict[str, float]:
    """FD, confident share, precision and recall of ``generated`` against the real held-out rows."""
    if not np.isfinite(generated).all():
        return {"fd": float("nan"), "conf": float("nan"), "precision": float("nan"), "recall": float("nan")}
    precision, recall = knn_precision_recall(real, generated, k)
    return {
        "fd": frechet_distance(real_features, classifier.features(generated)),
        "conf": classifier.confident_share(generated),
        "precision": precision,
        "recall": recall,
    }
