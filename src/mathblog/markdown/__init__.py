"""Markdown → HTML: the one markdown-it parser with its rules (math, callouts, CJK typography),
highlighting, excerpts.
"""
