"""A clear error for the module paths of latentspec 0.1, which no longer exist.

Version 0.2 moved the modules into subpackages (:mod:`latentspec.lwgan`,
:mod:`latentspec.lsd`, :mod:`latentspec.denoising`, :mod:`latentspec.app`). Importing an
old path, directly or through a pickle made with 0.1 that names it, raises a
:class:`ModuleNotFoundError` that says where the names went and, for pickles, what to
do. Nothing is re-exported under the old paths.
"""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any

# The public modules of 0.1 and the package that now exports their public names.
OLD_MODULES = {
    "latentspec.quasi_eigen": "latentspec.lsd",
    "latentspec.spectral_denoising": "latentspec.lsd",
    "latentspec.latent_rotation": "latentspec.lsd",
    "latentspec.spectral": "latentspec.lsd",
    "latentspec.denoising_recipe": "latentspec.denoising",
    "latentspec.residual_wiener": "latentspec.denoising",
    "latentspec.noise_level": "latentspec.denoising",
    "latentspec.sure": "latentspec.denoising",
    "latentspec.plotting": "latentspec.app",
    "latentspec.demo": "latentspec.app",
    "latentspec.rank_report": "latentspec.app",
    "latentspec.report": "latentspec.app",
    "latentspec.cli": "latentspec.app",
}


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Refuses the module paths of :data:`OLD_MODULES` with a message that says where the names went."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        new = OLD_MODULES.get(fullname)
        if new is None:
            return None
        raise ModuleNotFoundError(
            f"{fullname} was a module of latentspec 0.1; since 0.2 its public names are importable from {new} "
            "and from latentspec itself. A pickle made with latentspec 0.1 that names it cannot be loaded: "
            "refit the model, or (from now on) keep models as model files with latentspec.save and "
            "latentspec.load, which do not depend on where a class is defined",
            name=fullname,
        )


def install() -> None:
    """Put one :class:`MovedModuleFinder` in ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
