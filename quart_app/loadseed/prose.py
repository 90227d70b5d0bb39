"""Made-up issue titles, Markdown bodies and comments, varied in length and shape, from a seed.

Words come from a small tracker vocabulary plus a few hundred invented codenames ("vakolin"),
so a search for a codename matches a selective share of the issues, as a real query would.
"""

from __future__ import annotations

import itertools
import random

COMPONENTS = (
    "sign-in page", "issue list", "search", "API client", "CSV export", "dashboard",
    "settings page", "notifications", "Markdown preview", "label picker", "milestone view",
    "sync worker", "webhooks", "importer", "mobile layout", "dark mode", "token page",
    "audit log", "email digest", "file uploads", "comment editor", "project feed",
    "permissions check", "rate limiter", "session handling", "pagination", "date picker",
)  # fmt: skip
SYMPTOMS = (
    "crashes", "is slow", "shows stale data", "returns a 500", "loses what was typed",
    "renders blank", "times out", "ignores the filters", "counts items twice", "leaks memory",
    "flickers", "logs a warning", "breaks the layout", "sends duplicate emails",
)  # fmt: skip
SITUATIONS = (
    "saving a draft", "switching projects", "the network drops", "sorting by date",
    "pasting an image", "using Safari", "two tabs are open", "the title has emoji",
    "a label is renamed", "signing out", "the list is empty", "zooming to 200%",
    "the token expires", "importing 10k rows", "the clock changes", "offline for a while",
)  # fmt: skip
FEATURES = (
    "keyboard shortcuts", "bulk editing", "saved filters", "an RSS feed", "SAML sign-in",
    "per-project webhooks", "issue templates", "a compact view", "CSV import", "reactions",
    "due-date reminders", "a dark theme", "two-factor auth", "markdown tables", "time tracking",
)  # fmt: skip
WORDS = tuple(
    """the a to of and in it is when on for with this that after before page list user issue
    project label comment token request response error server client browser cache query
    index database worker queue timeout retry session cookie header field form button link
    filter sort date time version release build test deploy config setting value default
    empty null missing wrong slow fast again still only also never always sometimes maybe
    should could would expected actual steps reproduce works broken fixed seems looks like
    probably think see get set make open close update delete create load save send read
    write check show hide move change add remove rename upload download import export sync
    first last next previous old new same other every each some all none more less""".split()  # noqa: SIM905
)
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr")
_NUCLEI = ("a", "e", "i", "o", "u")
_CODAS = ("lin", "rex", "mor", "dax", "ven", "tul", "kos", "pir")
CODENAMES = tuple(o + n + c for o, n, c in itertools.product(_ONSETS, _NUCLEI, _CODAS))


def title(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.4:
        text = f"{rng.choice(COMPONENTS)} {rng.choice(SYMPTOMS)} when {rng.choice(SITUATIONS)}"
    elif shape < 0.6:
        text = f"Add {rng.choice(FEATURES)} to the {rng.choice(COMPONENTS)}"
    elif shape < 0.8:
        text = f"{rng.choice(COMPONENTS)}: {rng.choice(SYMPTOMS)} after {rng.choice(SITUATIONS)}"
    else:
        text = f"Support {rng.choice(FEATURES)} in {rng.choice(COMPONENTS)}"
    if rng.random() < 0.5:
        text += f" ({rng.choice(CODENAMES)})"
    return text[0].upper() + text[1:]


def sentence(rng: random.Random, low: int = 5, high: int = 16) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(CODENAMES))
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words)), f"`{rng.choice(CODENAMES)}()`")
    if rng.random() < 0.1:
        words.insert(rng.randrange(len(words)), f"**{rng.choice(WORDS)}**")
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".....?!")


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))


def bullet_list(rng: random.Random) -> str:
    numbered = rng.random() < 0.5
    items = [sentence(rng, 3, 8) for _ in range(rng.randint(2, 5))]
    return "\n".join(f"{n}. {item}" if numbered else f"- {item}" for n, item in enumerate(items, 1))


def code_block(rng: random.Random) -> str:
    name, other = rng.choice(CODENAMES), rng.choice(CODENAMES)
    shape = rng.randrange(4)
    if shape == 0:
        return f"```python\ndef {name}({other}):\n    return {other}.{rng.choice(WORDS)}()\n```"
    if shape == 1:
        return (
            f'```\nTraceback (most recent call last):\n  File "app/{name}.py", line '
            f"{rng.randint(1, 900)}, in {other}\nValueError: {rng.choice(WORDS)} is not valid\n```"
        )
    if shape == 2:
        return f'```json\n{{"{name}": {rng.randint(0, 99)}, "status": "{rng.choice(WORDS)}"}}\n```'
    return f"```bash\n$ curl -s https://example.com/api/v1/{name}?{other}=1\n```"


def block(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.15:
        return code_block(rng)
    if shape < 0.3:
        return bullet_list(rng)
    return paragraph(rng)


def issue_body(rng: random.Random) -> str:
    """Mostly a few lines; sometimes long, with steps, a code block or a stack trace."""
    if rng.random() < 0.05:
        return ""
    count = rng.choices((1, 2, 3, 5, 8), weights=(30, 30, 20, 15, 5))[0]
    return "\n\n".join(block(rng) for _ in range(count))


def comment_body(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.35:
        return sentence(rng, 3, 10)
    if shape < 0.45:
        return f"> {sentence(rng, 4, 10)}\n\n{paragraph(rng)}"
    count = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
    return "\n\n".join(block(rng) for _ in range(count))
