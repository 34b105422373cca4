"""blog: a static site generator for Chinese/English technical notes with LaTeX math and code."""

# The one place the version is written: pyproject.toml reads it, and a release tag is v<it>.
__version__ = "0.1.0"
