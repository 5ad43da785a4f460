"""An article's Markdown as HTML that is safe to show: parsed by markdown-it-py (CommonMark,
raw HTML in the source escaped, not passed through), then cleaned by nh3 (the Ammonia
sanitiser: only harmless tags and attributes, links with `rel="noopener noreferrer"`, only
http(s), mailto and relative URLs). A script in the body is stored as written and never
rendered as a script."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}


def render(markdown: str) -> str:
    """The body as sanitised HTML."""
    return nh3.clean(
        _PARSER.render(markdown),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer",
    )
