"""Interface strings of the default theme, by `site.toml` language."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

_STRINGS: Final = {
    "en": {
        "home": "Home",
        "tags": "Tags",
        "archive": "Archive",
        "latest": "Latest updates",
        "older": "Older",
        "newer": "Newer",
        "previous_page": "Previous",
        "next_page": "Next",
        "pages": "Pages",
        "read_more": "Read more",
        "pinned": "Pinned",
        "minutes": "{n} min read",
        "published": "Published",
        "updated": "Updated",
        "contents": "Contents",
        "tagged": "Tagged",
        "posts_count": "{n} posts",
        "post_count_one": "1 post",
        "not_found": "Page not found",
        "not_found_text": "Nothing lives at this address. Try the latest posts or the archive.",
        "feed": "Atom feed",
        "no_posts": "No posts yet.",
        "skip": "Skip to content",
        "cjk_chars": "{n} characters",
        "words": "{n} words",
        "note": "Note",
        "tip": "Tip",
        "important": "Important",
        "warning": "Warning",
        "caution": "Caution",
        "search": "Search",
        "search_placeholder": "Words, 中文 or TeX such as \\mathcal{L}",
        "search_found": "{n} posts found",
        "search_found_one": "1 post found",
        "search_none": "Nothing found.",
        "search_failed": "The search index could not be loaded.",
        "search_more": "More results",
        "search_needs_js": "Search runs in your browser and needs JavaScript.",
    },
    "zh-CN": {
        "home": "首页",
        "tags": "标签",
        "archive": "归档",
        "latest": "最新更新",
        "older": "下一篇",
        "newer": "上一篇",
        "previous_page": "上一页",
        "next_page": "下一页",
        "pages": "分页",
        "read_more": "阅读全文",
        "pinned": "置顶",
        "minutes": "约 {n} 分钟",
        "published": "发布于",
        "updated": "更新于",
        "contents": "目录",
        "tagged": "标签",
        "posts_count": "{n} 篇",
        "post_count_one": "1 篇",
        "not_found": "页面不存在",
        "not_found_text": "这个地址上什么也没有。去看看最新文章或归档吧。",
        "feed": "Atom 订阅",
        "no_posts": "还没有文章。",
        "skip": "跳到正文",
        "cjk_chars": "{n} 字",
        "words": "{n} 个英文词",
        "note": "注意",
        "tip": "提示",
        "important": "重要",
        "warning": "警告",
        "caution": "小心",
        "search": "搜索",
        "search_placeholder": "中文、English 或 TeX，如 \\mathcal{L}",
        "search_found": "找到 {n} 篇",
        "search_found_one": "找到 1 篇",
        "search_none": "没有找到。",
        "search_failed": "搜索索引加载失败。",
        "search_more": "更多结果",
        "search_needs_js": "搜索在浏览器中运行，需要 JavaScript。",
    },
}


def ui_strings(language: str) -> MappingProxyType[str, str]:
    """The strings for a language tag: its own, else those of its language (`en-GB` → `en`,
    `zh` → `zh-CN`), else English."""
    if language in _STRINGS:
        return MappingProxyType(_STRINGS[language])
    primary = language.split("-")[0].lower()
    same = next((tag for tag in _STRINGS if tag.split("-")[0] == primary), "en")
    return MappingProxyType(_STRINGS[same])
