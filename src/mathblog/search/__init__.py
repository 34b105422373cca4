"""Search: the terms a post is found by, and the static index files the search page fetches."""
