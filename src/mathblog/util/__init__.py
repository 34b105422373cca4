"""Helpers that know nothing of a site: text counting, URLs, digests, JSON and XML text, worker
processes, progress.
"""
