"""Tests of latentspec.lsd, one file per module."""
