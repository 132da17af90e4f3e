"""Importing latentspec."""




def test_import_without_torch_says_what_to_install():
    """Guards the first thing a user without torch sees: a message naming torch and how to install it."""
    import subprocess
    import sys

    code = "import sys; sys.modules['torch'] = None; import latentspec"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "latentspec needs PyTorch" in result.stderr and "pip install torch" in result.stderr
