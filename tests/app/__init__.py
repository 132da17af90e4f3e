"""Tests of latentspec.app, one file per module."""
