"""LatentRotator (latentspec/lsd/_latent_rotation.py): the Givens rotation, its meaning, paths, errors."""

import math

import numpy as np
import pytest

from latentspec import LatentRotator, QuasiEigenBasis

from ._codes import FAST, clusters


@pytest.fixture(scope="module")
def rotator_and_codes():
    Z, y = clusters(n_classes=4, dim=6, labels=["a", "b", "c", "d"])
    rot = LatentRotator(source="c", target="a", basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    return rot, Z


def test_rotation_is_proper_and_acts_in_the_plane(rotator_and_codes):
    """Guards the Givens rotation: orthogonal, det +1, only the (source, target) coefficients move."""
    rot, Z = rotator_and_codes
    R = rot.rotation_
    np.testing.assert_allclose(R @ R.T, np.eye(6), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    assert (rot.source_, rot.target_) == ("c", "a")
    C = rot.basis_.transform(Z)
    C_rot = rot.basis_.transform(rot.transform(Z))
    s, t = 2, 0  # indices of "c" and "a" in classes_
    others = [i for i in range(6) if i not in (s, t)]
    np.testing.assert_allclose(C_rot[:, others], C[:, others], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(C_rot[:, t], C[:, s], rtol=1e-6, atol=1e-6)  # source amplitude onto target
    np.testing.assert_allclose(C_rot[:, s], -C[:, t], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(rot.inverse_transform(rot.transform(Z)), Z, atol=1e-12)


def test_rotation_turns_source_codes_into_target_codes(rotator_and_codes):
    """Guards the meaning: codes of the source class are predicted as the target after the rotation."""
    rot, Z = rotator_and_codes
    source_codes = Z[80:120]  # class "c"
    assert (rot.basis_.predict(source_codes) == "c").all()
    assert (rot.basis_.predict(rot.transform(source_codes)) == "a").all()


def test_rotation_matrix_and_path(rotator_and_codes):
    """Guards path: (n_steps, n, d), identity at angle 0, back to the start after a full turn."""
    rot, Z = rotator_and_codes
    np.testing.assert_allclose(rot.rotation_matrix(math.pi / 2), rot.rotation_)
    np.testing.assert_allclose(rot.rotation_matrix(0.0), np.eye(6), atol=1e-15)
    half = rot.rotation_matrix(math.pi / 2)
    np.testing.assert_allclose(half @ half, rot.rotation_matrix(math.pi), atol=1e-12)
    paths = rot.path(Z[:5], n_steps=9)
    assert paths.shape == (9, 5, 6)
    np.testing.assert_allclose(paths[0], Z[:5], atol=1e-15)
    np.testing.assert_allclose(paths[-1], Z[:5], atol=1e-12)
    np.testing.assert_allclose(paths[2], rot.transform(Z[:5]), atol=1e-12)  # 2 * (2 pi / 8) = pi / 2
    custom = rot.path(Z[:5], angles=[0.3, -1.0])
    np.testing.assert_allclose(custom[1], Z[:5] @ rot.rotation_matrix(-1.0).T)
    with pytest.raises(ValueError, match="n_steps"):
        rot.path(Z[:5], n_steps=1)


def test_rotator_defaults_and_errors():
    """Guards source/target: None means the first two classes; unknown or equal labels are errors."""
    Z, y = clusters(n_classes=3, dim=4, labels=[10, 20, 30])
    rot = LatentRotator(basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    assert (rot.source_, rot.target_) == (10, 20)
    assert rot.get_feature_names_out().tolist() == [f"x{i}" for i in range(4)]
    with pytest.raises(ValueError, match="source=5 is not one of the classes"):
        LatentRotator(source=5).fit(Z, y)
    with pytest.raises(ValueError, match="must be different"):
        LatentRotator(source=20, target=20).fit(Z, y)
    with pytest.raises(ValueError, match="must be different"):
        LatentRotator(target=10).fit(Z, y)
    with pytest.raises(ValueError, match="angle"):
        LatentRotator(angle=math.inf).fit(Z, y)
