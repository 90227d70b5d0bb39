"""Turning user-written Markdown (issue bodies, comments) into HTML that is safe to show.

Issue and comment bodies are rendered once, when written, and the HTML is stored beside the
Markdown (``body_html``, set by ``models.tracker.RenderedBody``), as GitLab does: a page or API
read costs a column instead of a render (~0.7 ms each, and an issue page shows many). The price
is that the stored HTML is a cache of the source, made by the rules below as they were at the
time of writing. So whoever changes these rules (tags, attributes, markdown-it options or
plugins) adds a migration that re-renders every body with ``render_markdown``, as 0005 does;
until it runs, old rows keep the old rendering. Core writes that bypass the ORM (the load
seeder, migrations) call ``render_markdown`` themselves.
"""

from __future__ import annotations

import functools
from typing import Final

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

# nh3 is the second line of defence: markdown-it already escapes raw HTML, so this allow-list is
# exactly what the rules enabled below can emit, and anything else (a renderer change, a plugin
# added later) is stripped. There is no <img>: every reader's browser would fetch an image from
# whatever host the author chose, telling that host the reader's IP address and when they read
# the issue (a tracking pixel). The image rule is off in markdown-it too, so ![alt](url) stays a
# visible link that the reader can choose to follow.
_ALLOWED_TAGS: Final = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# "*" is given, and empty, because without it nh3 keeps its default generic attributes (lang,
# title) on every tag. No class on <code>: nothing on our pages highlights code.
_ALLOWED_ATTRIBUTES: Final[dict[str, set[str]]] = {"*": set(), "a": {"href", "title"}}
# Table alignment is the only attribute with a fixed vocabulary, so it is held to that vocabulary.
_TABLE_ALIGNMENT: Final = {"left", "center", "right"}
_ALLOWED_ATTRIBUTE_VALUES: Final = {
    "th": {"align": _TABLE_ALIGNMENT},
    "td": {"align": _TABLE_ALIGNMENT},
}
# Relative URLs have no scheme and pass through, so links within the tracker keep working; nh3
# parses URLs as browsers do (tabs and newlines removed), so "java\tscript:" counts as javascript.
_URL_SCHEMES: Final = {"http", "https", "mailto"}
# nofollow keeps spam links from borrowing the tracker's search ranking; noopener stops the linked
# page from steering this tab; noreferrer keeps private issue URLs out of other sites' logs.
_LINK_REL: Final = "nofollow noopener noreferrer"
_ALIGNMENT_STYLE_PREFIX: Final = "text-align:"


CACHED_TEXT_MAX: Final = 16_384  # characters; with 512 entries, at most a few MB per worker


def render_markdown(text: str) -> str:
    """Return safe HTML for user-written Markdown; blank text gives an empty string.

    Recent short texts are remembered (the output depends on the text alone): the same text is
    often rendered twice in a row (a preview, then the write that stores it).
    """
    if len(text) <= CACHED_TEXT_MAX:
        return _render_cached(text)
    return _render(text)


@functools.lru_cache(maxsize=512)
def _render_cached(text: str) -> str:
    return _render(text)


def _render(text: str) -> str:
    if not text.strip():
        return ""
    return nh3.clean(
        _markdown().render(text),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        tag_attribute_values=_ALLOWED_ATTRIBUTE_VALUES,
        url_schemes=_URL_SCHEMES,
        link_rel=_LINK_REL,
    )


@functools.cache
def _markdown() -> MarkdownIt:
    # html=False renders raw HTML in the input as text, so "<script>" is shown, not run.
    # breaks=True turns a single newline into <br>, as people expect from GitHub comments.
    markdown = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": True})
    markdown.enable(["table", "strikethrough", "linkify"])
    markdown.disable("image")
    markdown.core.ruler.push("table_alignment_as_attribute", _table_alignment_as_attribute)
    return markdown


def _table_alignment_as_attribute(state: StateCore) -> None:
    # markdown-it writes column alignment as style="text-align:right". Style attributes are a
    # sanitiser's hardest case, so none are allowed; the old align attribute says the same thing.
    for token in state.tokens:
        if token.type not in {"th_open", "td_open"}:
            continue
        style = token.attrs.pop("style", None)
        if isinstance(style, str) and style.startswith(_ALIGNMENT_STYLE_PREFIX):
            token.attrs["align"] = style.removeprefix(_ALIGNMENT_STYLE_PREFIX)
