"""Building, pickling and reloading the networks of an ``LWGANEstimator``.

A pickle stores the weights (and the training state a warm start continues from)
as CPU tensors in bytes, so it unpickles on a machine without the fitting device;
a model file (:mod:`latentspec.persistence`) stores the weights as arrays. Either
way the networks are rebuilt from the estimator's parameters and the weights
loaded into them, on the fitting device when this machine has it.
"""

from __future__ import annotations

from typing import Any

import torch

from ._params import image_shape_chw, label_classifier_classes
from .core._device import device_after_unpickling, resolve_device, state_from_bytes, state_to_bytes, tensors_to_bytes
from .core._model import LWGANModule

__all__ = ["NetworkStateMixin"]


class NetworkStateMixin:
    """Builds ``module_`` from the parameters, and keeps it through pickling and model files."""

    _model_file_excludes = frozenset({"_training_state"})  # optimiser state and random stream: pickle keeps them

    def _build_module(self) -> LWGANModule:
        # nn.Linear draws its default initialisation from the global generator; fork it so
        # that fitting and unpickling leave the global torch random state untouched (the
        # weights are then set from the estimator's private generator, or loaded).
        with torch.random.fork_rng(devices=[]):
            return self._new_module()

    def _new_module(self) -> LWGANModule:
        return LWGANModule(
            self.n_features_in_,
            self.latent_dim_,
            tuple(self.encoder_layers),
            tuple(self.generator_layers),
            tuple(self.critic_layers),
            self.activation,
            image_shape=image_shape_chw(self),
            conv_layers=tuple(self.conv_layers),
            n_label_classes=label_classifier_classes(self),
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if "module_" in state:
            state["module_"] = state_to_bytes(self.module_)
            state["device_"] = str(self.device_)
        if "_training_state" in state:
            state["_training_state"] = tensors_to_bytes(self._training_state)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if isinstance(state.get("module_"), bytes):
            self._install_module(state_from_bytes(state["module_"], torch.device("cpu")), None)
        if isinstance(state.get("_training_state"), bytes):
            self._training_state = state_from_bytes(state["_training_state"], torch.device("cpu"))

    def _after_load(self, device: str | torch.device | None) -> None:
        """Called by :func:`latentspec.load`: build the networks from the stored weights."""
        if isinstance(getattr(self, "module_", None), dict):
            self._install_module(self.module_, device)

    def _install_module(self, weights: dict[str, torch.Tensor], device: str | torch.device | None) -> None:
        """Rebuild ``module_`` from a state dict, on ``device`` or (None) where it was fitted if possible."""
        self.device_ = device_after_unpickling(str(self.device_)) if device is None else resolve_device(device)
        module = self._build_module()
        module.load_state_dict(weights)
        self.module_ = module.to(self.device_)
