"""`blog serve`: the rebuild loop, the HTTP server with live reload, the file watcher."""
