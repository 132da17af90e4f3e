"""Tests of latentspec.lwgan.core, one file per module."""
