"""JSON-LD for search engines: a post as a schema.org `BlogPosting`, written so that no title or
tag can end the `<script>` element it sits in."""

from __future__ import annotations

import json
from typing import Any

from .config import SiteConfig
from .model import Post

# `</script>` or `<!--` inside the JSON would end or confuse the element, and U+2028/U+2029
# end a line in older JavaScript parsers; JSON lets every one of them be written as \uXXXX.
_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def script_json(data: Any) -> str:
    """`data` as JSON that can stand verbatim inside a `<script>` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)


def blog_posting(post: Post, config: SiteConfig) -> dict[str, Any]:
    url = config.site_url + post.url
    # schema.org wants an author; a site that names none is its own.
    author = (
        {"@type": "Person", "name": config.author}
        if config.author
        else {"@type": "Organization", "name": config.title}
    )
    return {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title_text,
        "description": post.description or config.description,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": post.date.isoformat(),
        "dateModified": (post.updated or post.date).isoformat(),
        "author": author,
        "keywords": [tag.name for tag in post.tags],
        "inLanguage": config.language,
    }
