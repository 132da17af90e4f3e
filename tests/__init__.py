"""Test suite of latentspec."""
