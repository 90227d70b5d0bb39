"""Markdown rendering: the formatting people write, and hostile input coming out inert."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from quart_app.markdown import render_markdown

pytestmark = pytest.mark.unit

# Written out here rather than imported, so that widening the module's allow-list fails a test.
SAFE_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
SAFE_SCHEMES = {"", "http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}
LINK_REL = {"nofollow", "noopener", "noreferrer"}


@dataclass
class Element:
    tag: str
    attributes: dict[str, str | None]
    text: str = ""


class ElementCollector(HTMLParser):
    """Every start tag in a fragment, with its attributes and the text directly inside it."""

    VOID_TAGS = frozenset({"br", "hr", "img", "input", "meta", "link"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open_elements: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in self.VOID_TAGS:
            self.open_elements.append(element)

    def handle_endtag(self, tag: str) -> None:
        if self.open_elements and self.open_elements[-1].tag == tag:
            self.open_elements.pop()

    def handle_data(self, data: str) -> None:
        if self.open_elements:
            self.open_elements[-1].text += data


def elements(html: str) -> list[Element]:
    collector = ElementCollector()
    collector.feed(html)
    collector.close()
    return collector.elements


def only(tag: str, html: str) -> Element:
    found = [element for element in elements(html) if element.tag == tag]
    assert len(found) == 1, html
    return found[0]


def url_scheme(url: str) -> str:
    # What a browser would see: C0 controls and spaces trimmed, tabs and newlines removed anywhere.
    cleaned = re.sub(r"[\t\n\r]", "", url.strip("\x00- "))
    return urlsplit(cleaned).scheme.lower()


def test_emphasis_and_strong_emphasis_render() -> None:
    html = render_markdown("*quietly* and **loudly**")
    assert "<em>quietly</em>" in html
    assert "<strong>loudly</strong>" in html


def test_bulleted_and_numbered_lists_render() -> None:
    html = render_markdown("- apples\n- pears\n\n1. first\n2. second")
    assert [element.tag for element in elements(html)] == ["ul", "li", "li", "ol", "li", "li"]


def test_headings_quotes_and_rules_render() -> None:
    html = render_markdown("## Steps\n\n> it broke\n\n---")
    assert [element.tag for element in elements(html)] == ["h2", "blockquote", "p", "hr"]


def test_inline_code_renders() -> None:
    assert render_markdown("run `make test` first") == "<p>run <code>make test</code> first</p>\n"


def test_fenced_code_block_keeps_its_markup_as_text() -> None:
    html = render_markdown("```\n<b>bold?</b>\n```")
    assert html == "<pre><code>&lt;b&gt;bold?&lt;/b&gt;\n</code></pre>\n"


def test_fenced_code_language_does_not_become_a_class() -> None:
    code = only("code", render_markdown("```python\nprint(1)\n```"))
    assert code.attributes == {}


def test_table_renders_with_header_and_body_cells() -> None:
    html = render_markdown("| name | count |\n| --- | --- |\n| bugs | 3 |")
    cells = [(cell.tag, cell.text) for cell in elements(html) if cell.tag in {"th", "td"}]
    assert cells == [("th", "name"), ("th", "count"), ("td", "bugs"), ("td", "3")]


def test_table_column_alignment_is_an_align_attribute_not_a_style() -> None:
    html = render_markdown("| a | b | c |\n| :- | -: | :-: |\n| 1 | 2 | 3 |")
    cells = [element.attributes for element in elements(html) if element.tag in {"th", "td"}]
    assert cells == [{"align": "left"}, {"align": "right"}, {"align": "center"}] * 2


def test_strikethrough_renders_as_struck_text() -> None:
    assert render_markdown("~~wontfix~~") == "<p><s>wontfix</s></p>\n"


def test_single_newline_becomes_a_line_break() -> None:
    assert render_markdown("first line\nsecond line") == "<p>first line<br>\nsecond line</p>\n"


def test_bare_url_becomes_a_nofollow_link() -> None:
    link = only("a", render_markdown("see https://example.com/issues?page=2 please"))
    assert link.attributes["href"] == "https://example.com/issues?page=2"
    assert set((link.attributes["rel"] or "").split()) == LINK_REL
    assert link.text == "https://example.com/issues?page=2"


def test_written_link_gets_nofollow_and_keeps_its_title() -> None:
    link = only("a", render_markdown('[docs](https://example.com/docs "Read me")'))
    assert link.attributes == {
        "href": "https://example.com/docs",
        "title": "Read me",
        "rel": "nofollow noopener noreferrer",
    }


def test_email_address_becomes_a_mailto_link() -> None:
    link = only("a", render_markdown("mail ops@example.com"))
    assert link.attributes["href"] == "mailto:ops@example.com"


def test_relative_link_within_the_tracker_is_kept() -> None:
    link = only("a", render_markdown("[issue 3](/projects/tracker/issues/3)"))
    assert link.attributes["href"] == "/projects/tracker/issues/3"


def test_image_is_shown_as_a_link_and_never_fetched() -> None:
    html = render_markdown("![screenshot](https://images.example/shot.png)")
    assert [element.tag for element in elements(html)] == ["p", "a"]
    link = only("a", html)
    assert (link.attributes["href"], link.text) == ("https://images.example/shot.png", "screenshot")


def test_raw_html_tag_shows_as_escaped_text() -> None:
    html = render_markdown("make it <b>bold</b>")
    assert html == "<p>make it &lt;b&gt;bold&lt;/b&gt;</p>\n"


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\t  \n", "\u00a0\n"],
    ids=["empty", "space", "blank-lines", "no-break-space"],
)
def test_blank_input_gives_empty_string(text: str) -> None:
    assert render_markdown(text) == ""


XSS_PAYLOADS = {
    "script-tag": "<script>alert(1)</script>",
    "script-after-comment": "<!-- x --><script>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)>",
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "iframe-javascript": '<iframe src="javascript:alert(1)"></iframe>',
    "div-style": '<div style="background:url(javascript:alert(1))">x</div>',
    "raw-anchor-javascript": '<a href="javascript:alert(1)">x</a>',
    "link-javascript": "[x](javascript:alert(1))",
    "link-javascript-uppercase": "[x](JAVASCRIPT:alert(1))",
    "link-javascript-tab-entity": "[x](jav&#x09;ascript:alert(1))",
    "link-javascript-newline-entity": "[x](java&#10;script:alert(1))",
    "link-javascript-letter-entity": "[x](&#106;avascript&#58;alert(1))",
    "link-javascript-angle-brackets": "[x](<javascript:alert(1)>)",
    "link-javascript-leading-space": "[x](  javascript:alert(1))",
    "link-vbscript": "[x](vbscript:msgbox(1))",
    "link-data-html": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "link-data-image": "[x](data:image/png;base64,iVBORw0KGgo=)",
    "reference-link-javascript": "[x][evil]\n\n[evil]: javascript:alert(1)",
    "link-title-breakout": '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "link-text-img-onerror": "[<img src=x onerror=alert(1)>](https://example.com)",
    "image-javascript": "![x](javascript:alert(1))",
    "image-data-svg": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "autolink-javascript": "<javascript:alert(1)>",
    "autolink-vbscript": "<vbscript:msgbox(1)>",
    "bare-javascript": "javascript:alert(1)",
    "entity-encoded-script": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "code-block-script": "```html\n<script>alert(1)</script>\n```",
    "inline-code-img-onerror": "`<img src=x onerror=alert(1)>`",
}


@pytest.mark.parametrize("payload", XSS_PAYLOADS.values(), ids=XSS_PAYLOADS.keys())
def test_hostile_input_comes_out_inert(payload: str) -> None:
    html = render_markdown(payload)
    found = elements(html)
    assert "<script" not in html.lower()
    assert {element.tag for element in found} <= SAFE_TAGS
    for element in found:
        names = set(element.attributes)
        assert not {name for name in names if name.startswith("on")}, html
        assert "style" not in names, html
        for name in names & URL_ATTRIBUTES:
            assert url_scheme(element.attributes[name] or "") in SAFE_SCHEMES, html
