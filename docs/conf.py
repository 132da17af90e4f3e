"""Sphinx configuration: Markdown pages (MyST) and an API reference from the numpydoc docstrings."""

import os
import sys

# Build against the package in this checkout, installed or not.
sys.path.insert(0, os.path.abspath(".."))

import latentspec  # noqa: E402

project = "latentspec"
copyright = "latentspec developers"
author = "latentspec developers"
version = latentspec.__version__
release = latentspec.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_heading_anchors = 3

autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


html_theme = "alabaster"
html_title = f"latentspec {release}"
