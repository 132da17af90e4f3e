"""Tests of latentspec.denoising, one file per module."""
