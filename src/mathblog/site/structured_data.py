"""JSON-LD for search engines: a post as a schema.org `BlogPosting`, written so that no title or
tag can end the `<script>` element it sits in."""

from __future__ import annotations

from typing import Any

from mathblog.config import SiteConfig
from mathblog.model import Post


# `</script>` or `<!--` inside the JSON would end or confuse the element, and U+2028/U+2029
# end a line in older JavaScript parsers; JSON lets every one of them be written as \uXXXX.
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
        "inLanguage": post.lang or config.language,
    }
