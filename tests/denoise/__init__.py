"""Tests of latentspec.denoise, one file per module."""
