"""blog: a static site generator for Chinese/English technical notes with LaTeX math and code."""

__version__ = "0.1.0"
