"""Test fixtures shared by every package (loaded as a pytest plugin from pyproject.toml)."""
