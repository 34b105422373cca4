"""The site's pages as text: the Jinja environment, rendering in parallel, template errors at their
line.
"""
