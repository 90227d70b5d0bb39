"""Reading the tracker's HTML like a browser would: CSRF tokens, forms with their fields, links.

Regular expressions, not an HTML parser: the load generator shares the CPU with the server, and a
full parse of a 100 kB issue page costs more than the request. The pages are our own templates
(quoted attributes, escaped values), which is what makes this safe enough.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
INPUT = re.compile(r"<input\b([^>]*)>", re.I)
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
OPTION = re.compile(r"<option\b([^>]*)>(.*?)</option>", re.S | re.I)
TEXTAREA = re.compile(r"<textarea\b([^>]*)>(.*?)</textarea>", re.S | re.I)
META = re.compile(r"<meta\b([^>]*)>", re.I)
ATTRIBUTE = re.compile(r"""([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
TAG = re.compile(r"<[^>]*>")
# Inputs a browser sends by their value as they stand; buttons count only when clicked.
SENT_INPUT_TYPES = {"hidden", "text", "search", "email", "password", "number", "url", "tel"}


def attributes(text: str) -> dict[str, str]:
    """``name="x" value='y' required`` as ``{"name": "x", "value": "y", "required": ""}``."""
    found: dict[str, str] = {}
    for match in ATTRIBUTE.finditer(text):
        value = next((group for group in match.groups()[1:] if group is not None), "")
        found.setdefault(match.group(1).lower(), html.unescape(value))
    return found


@dataclass
class Form:
    """One ``<form>``: where it posts and what a browser would send if submitted untouched."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)  # each <select>'s choices

    def data(self, **changes: str) -> dict[str, str]:
        """The fields to post, with the ones the user typed or chose replaced."""
        return {**self.fields, **changes}


def parse_form(opening: str, body: str) -> Form:
    tag = attributes(opening)
    form = Form(action=tag.get("action", ""), method=tag.get("method", "get").lower())
    for match in INPUT.finditer(body):
        attrs = attributes(match.group(1))
        if "name" in attrs and attrs.get("type", "text").lower() in SENT_INPUT_TYPES:
            form.fields[attrs["name"]] = attrs.get("value", "")
    for match in SELECT.finditer(body):
        name = attributes(match.group(1)).get("name")
        if name:
            options = select_options(match.group(2))
            form.options[name] = [value for value, _selected in options]
            chosen = [value for value, selected in options if selected]
            if options:  # a browser sends the selected option, else the first one
                form.fields[name] = (chosen or form.options[name])[0]
    for match in TEXTAREA.finditer(body):
        name = attributes(match.group(1)).get("name")
        if name:
            form.fields[name] = html.unescape(match.group(2)).removeprefix("\n")
    return form


def select_options(body: str) -> list[tuple[str, bool]]:
    """A ``<select>``'s options as (value, selected); an option without a value sends its text."""
    found = []
    for match in OPTION.finditer(body):
        attrs = attributes(match.group(1))
        text = html.unescape(TAG.sub("", match.group(2)).strip())
        found.append((attrs.get("value", text), "selected" in attrs))
    return found


def forms(page: str) -> list[Form]:
    return [parse_form(match.group(1), match.group(2)) for match in FORM.finditer(page)]


def find_form(page: str, action: str | re.Pattern[str]) -> Form | None:
    """The first form posting to ``action`` (a path, or a pattern its whole action matches)."""
    for form in forms(page):
        if isinstance(action, str) and form.action == action:
            return form
        if isinstance(action, re.Pattern) and action.fullmatch(form.action):
            return form
    return None


def find_forms(page: str, action: re.Pattern[str]) -> list[Form]:
    return [form for form in forms(page) if action.fullmatch(form.action)]


def csrf_token(page: str) -> str | None:
    """The page's CSRF token: ``<meta name="csrf-token">``, else a form's ``csrf_token`` field."""
    for match in META.finditer(page):
        attrs = attributes(match.group(1))
        if attrs.get("name") == "csrf-token" and attrs.get("content"):
            return attrs["content"]
    for match in INPUT.finditer(page):
        attrs = attributes(match.group(1))
        if attrs.get("name") == "csrf_token" and attrs.get("value"):
            return attrs["value"]
    return None


def issue_links(page: str, key: str) -> list[int]:
    """The issue numbers a page links to in project ``key`` (an issue list, the dashboard)."""
    pattern = re.compile(rf'href="/projects/{re.escape(key)}/issues/(\d+)"')
    return sorted({int(number) for number in pattern.findall(page)})


ISSUE_TITLE = re.compile(r'<a class="issue-title" href="[^"]*">([^<]*)</a>')


def issue_titles(page: str) -> list[str]:
    """The titles in an issue list (words for the searches that follow)."""
    return [html.unescape(title) for title in ISSUE_TITLE.findall(page)]
