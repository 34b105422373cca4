"""The site's inputs: finding post and static files, front matter, one post file → a `Post`."""
