"""Tests of latentspec.lwgan, one file per module; core/ holds those of latentspec.lwgan.core."""
