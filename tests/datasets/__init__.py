"""Tests of latentspec.datasets, one file per module."""
