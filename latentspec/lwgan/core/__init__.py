"""The LWGAN in PyTorch, independent of scikit-learn: networks, prior, losses, training, scoring.

Private to :mod:`latentspec.lwgan`: nothing here is public API, and nothing here imports
an estimator. Tensors in, tensors out.
"""
