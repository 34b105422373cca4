"""The commands besides build and serve: `blog check`, `blog new`, `blog init`."""
