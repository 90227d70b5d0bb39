"""Finding issues over the API: filters, full-text search, sorting, pages, and the lists of
projects and of your issues across projects.

One fixed dataset (below) is arranged through the API, then tables of queries are checked against
the exact issue numbers they must return, in order. The same tables run unchanged on SQLite
(FTS5) and PostgreSQL (tsvector): passing on both is the proof that search answers alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from quart import Response
from sqlalchemy import update

from quart_app.models import Issue
from tests.api.tracker import ApiUser, Tracker
from tests.support import sqlite_only

pytestmark = pytest.mark.integration

ISSUES = "/api/v1/projects/WEB/issues"
# 73 letters: one word longer than the 64 characters the index keeps of a word.
LONG_WORD = "pneumonoultramicroscopicsilicovolcanoconiosis" + "antidisestablishmentarianism"
LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')
Query = dict[str, str]


@dataclass
class Team:
    ada: ApiUser  # owner
    bob: ApiUser  # maintainer
    cyd: ApiUser  # reporter
    dan: ApiUser  # reporter
    eve: ApiUser  # signed in, not a member
    anonymous: ApiUser


async def team_in_public_project(tracker: Tracker) -> Team:
    ada, bob, cyd = await tracker.user("ada"), await tracker.user("bob"), await tracker.user("cyd")
    dan, eve = await tracker.user("dan"), await tracker.user("eve")
    members = {"bob": "maintainer", "cyd": "reporter", "dan": "reporter"}
    await tracker.project(ada, "WEB", visibility="public", members=members)
    return Team(ada, bob, cyd, dan, eve, tracker.anonymous())


async def triage(maintainer: ApiUser, number: int, **fields: Any) -> None:
    await maintainer.ok("PATCH", f"{ISSUES}/{number}", fields, headers={"If-Match": "*"})


async def close(author: ApiUser, number: int, reason: str) -> None:
    body = {"state": "closed", "close_reason": reason}
    await author.ok("PATCH", f"{ISSUES}/{number}", body, headers={"If-Match": "*"})


async def comment(who: ApiUser, number: int, body: str) -> int:
    created = await who.ok("POST", f"{ISSUES}/{number}/comments", {"body": body}, status=201)
    return int(created["id"])


async def arrange_dataset(tracker: Tracker) -> Team:
    """Twelve issues in WEB, each opened, triaged and commented on in turn; then #7 loses a
    comment and #8 is retitled (so they are the last two updated).

    #   author state                 labels               assignees milestone comments
    1   ada    open                  bug priority/high    bob       v1.0      1
    2   cyd    open                  bug priority/low     cyd       v2.0      0
    3   dan    closed (completed)    docs                 -         -         1
    4   bob    open                  feature              bob cyd   v1.0      0
    5   cyd    open                  docs priority/high   -         v2.0      0
    6   dan    closed (not_planned)  -                    -         -         0
    7   ada    open                  bug                  cyd       -         1 (2, one deleted)
    8   bob    open                  feature priority/low -         v2.0      0
    9   cyd    closed (duplicate)    bug priority/low     bob       v1.0      0
    10  dan    open                  docs                 -         -         2
    11  ada    open                  -                    cyd       -         0
    12  bob    open                  bug                  bob cyd   v1.0      3
    """
    team = await team_in_public_project(tracker)
    ada, bob, cyd, dan = team.ada, team.bob, team.cyd, team.dan
    for label in ("bug", "docs", "feature", "priority/high", "priority/low"):
        await ada.ok("POST", "/api/v1/projects/WEB/labels", {"name": label}, status=201)
    for title in ("v1.0", "v2.0"):
        await ada.ok("POST", "/api/v1/projects/WEB/milestones", {"title": title}, status=201)

    await tracker.issue(
        ada, title="Authentication fails for SSO users",
        body="Users cannot sign-in since v2.3; see https://example.com/login?next=/home",
        labels=["bug", "priority/high"], assignees=["bob"], milestone="v1.0",
    )  # fmt: skip
    await comment(cyd, 1, "Also happens on Firefox")

    await tracker.issue(
        cyd, title="Café page layout is broken", body="The menu overlaps the footer."
    )
    await triage(bob, 2, labels=["bug", "priority/low"], assignees=["cyd"], milestone="v2.0")

    await tracker.issue(
        dan, title="Cafe opening hours are wrong", body="Contact the owner at a@b.com about it."
    )
    await triage(bob, 3, labels=["docs"])
    await comment(bob, 3, "Fixed by the snake_case rename")
    await close(dan, 3, "completed")

    await tracker.issue(
        bob, title="Rename snake_case helpers",
        body="Don't break the API: keep old names as aliases.",
        labels=["feature"], assignees=["bob", "cyd"], milestone="v1.0",
    )  # fmt: skip

    await tracker.issue(
        cyd, title="Greek text: Καλημέρα κόσμε", body="Also 東京都庁 in CJK and emoji 🎉🚀 party"
    )
    await triage(bob, 5, labels=["docs", "priority/high"], milestone="v2.0")

    await tracker.issue(dan, title="Very long word", body=f"It says {LONG_WORD} once.")
    await close(dan, 6, "not_planned")

    await tracker.issue(
        ada, title="Search ignores NEAR and OR operators",
        body='Query "quoted" AND stars* with -minus and colon:value',
        labels=["bug"], assignees=["cyd"],
    )  # fmt: skip
    zebra = await comment(dan, 7, "A temporary zebra")
    await comment(dan, 7, "It keeps a giraffe")

    await tracker.issue(
        bob, title="Old title with walrus", labels=["feature", "priority/low"], milestone="v2.0"
    )

    await tracker.issue(cyd, title="Login button misaligned", body="authentication page button")
    await triage(bob, 9, labels=["bug", "priority/low"], assignees=["bob"], milestone="v1.0")
    await close(cyd, 9, "duplicate")

    await tracker.issue(dan, title="Documentation typo")
    await triage(bob, 10, labels=["docs"])
    await comment(ada, 10, "Thanks")
    await comment(cyd, 10, "Authentication docs also")

    await tracker.issue(
        ada, title="Export to CSV", body="Numbers like 3.14 and 42 should survive.",
        assignees=["cyd"],
    )  # fmt: skip

    await tracker.issue(
        bob, title="Crash on startup", body="Stack trace mentions sign in flow",
        labels=["bug"], assignees=["bob", "cyd"], milestone="v1.0",
    )  # fmt: skip
    for who, body in ((ada, "Same here"), (bob, "Repro attached"), (dan, "Me too")):
        await comment(who, 12, body)

    await dan.ok("DELETE", f"{ISSUES}/7/comments/{zebra}", headers={"If-Match": "*"}, status=204)
    await bob.ok(
        "PATCH", f"{ISSUES}/8", {"title": "New title with narwhal"}, headers={"If-Match": "*"}
    )
    return team


async def numbers(who: ApiUser, query: Query, path: str = ISSUES) -> list[int]:
    body = await who.ok("GET", path, query_string={"per_page": "100", **query})
    return [item["number"] for item in body["items"]]


async def mismatches(who: ApiUser, table: list[tuple[Query, list[int]]]) -> dict[str, Any]:
    """Every row whose answer differs from the expected numbers: {query: (got, expected)}."""
    wrong = {}
    for query, expected in table:
        got = await numbers(who, query)
        if got != expected:
            wrong[urlencode(query)] = {"got": got, "expected": expected}
    return wrong


async def error_fields(response: Response) -> list[str | None]:
    body = await response.get_json()
    return [detail["field"] for detail in body["error"]["details"]]


def links(response: Response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("Link", ""))}


# --- filters ------------------------------------------------------------------------------------

FILTER_TABLE: list[tuple[Query, list[int]]] = [
    ({}, [12, 11, 10, 8, 7, 5, 4, 2, 1]),  # open by default, newest first
    ({"state": "open"}, [12, 11, 10, 8, 7, 5, 4, 2, 1]),
    ({"state": "closed"}, [9, 6, 3]),
    ({"state": "all"}, [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
    # labels: the issue must carry every one of them
    ({"state": "all", "labels": "bug"}, [12, 9, 7, 2, 1]),
    ({"state": "all", "labels": "priority/low"}, [9, 8, 2]),
    ({"state": "all", "labels": "bug,priority/high"}, [1]),
    ({"state": "all", "labels": "priority/high,bug"}, [1]),
    ({"state": "all", "labels": "bug,priority/low"}, [9, 2]),
    ({"state": "all", "labels": " bug , priority/low "}, [9, 2]),
    ({"state": "all", "labels": "bug,bug"}, [12, 9, 7, 2, 1]),
    ({"state": "all", "labels": "bug,docs"}, []),
    ({"state": "all", "labels": "priority/high,priority/low"}, []),
    ({"labels": "docs"}, [10, 5]),
    ({"state": "all", "labels": ","}, [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
    # assignee: a username, nobody, anybody
    ({"state": "all", "assignee": "bob"}, [12, 9, 4, 1]),
    ({"state": "all", "assignee": "BOB"}, [12, 9, 4, 1]),
    ({"state": "all", "assignee": "cyd"}, [12, 11, 7, 4, 2]),
    ({"state": "all", "assignee": "none"}, [10, 8, 6, 5, 3]),
    ({"state": "all", "assignee": "*"}, [12, 11, 9, 7, 4, 2, 1]),
    ({"state": "all", "assignee": "dan"}, []),
    # author
    ({"state": "all", "author": "ada"}, [11, 7, 1]),
    ({"state": "all", "author": "bob"}, [12, 8, 4]),
    ({"state": "all", "author": "Cyd"}, [9, 5, 2]),
    ({"state": "all", "author": "dan"}, [10, 6, 3]),
    ({"state": "all", "author": "eve"}, []),
    # milestone: a title, none, any
    ({"state": "all", "milestone": "v1.0"}, [12, 9, 4, 1]),
    ({"state": "all", "milestone": "v2.0"}, [8, 5, 2]),
    ({"state": "all", "milestone": "none"}, [11, 10, 7, 6, 3]),
    ({"state": "all", "milestone": "*"}, [12, 9, 8, 5, 4, 2, 1]),
    ({"milestone": "v1.0"}, [12, 4, 1]),
    # combinations
    ({"labels": "bug", "assignee": "bob", "milestone": "v1.0"}, [12, 1]),
    ({"state": "closed", "author": "cyd"}, [9]),
    ({"state": "closed", "labels": "bug", "assignee": "bob"}, [9]),
    ({"state": "all", "assignee": "cyd", "milestone": "none"}, [11, 7]),
    ({"state": "all", "assignee": "none", "labels": "docs"}, [10, 5, 3]),
    ({"state": "all", "author": "bob", "assignee": "cyd", "labels": "feature"}, [4]),
    ({"state": "all", "author": "ada", "labels": "bug", "q": "sso"}, [1]),
    ({"state": "all", "milestone": "*", "assignee": "none"}, [8, 5]),
    ({"state": "all", "labels": "bug", "q": "authentication"}, [9, 1]),
    ({"state": "open", "q": "authentication", "sort": "created", "direction": "asc"}, [1, 10]),
]


async def test_filters_combine_to_the_expected_issues(tracker: Tracker) -> None:
    team = await arrange_dataset(tracker)

    wrong = await mismatches(team.eve, FILTER_TABLE)

    assert wrong == {}


async def test_assignee_and_author_me_mean_the_caller(tracker: Tracker) -> None:
    team = await arrange_dataset(tracker)

    assigned_to_bob = await numbers(team.bob, {"state": "all", "assignee": "me"})
    opened_by_dan = await numbers(team.dan, {"state": "all", "author": "me"})
    eve_nothing = await numbers(team.eve, {"state": "all", "assignee": "me"})

    assert assigned_to_bob == [12, 9, 4, 1]
    assert opened_by_dan == [10, 6, 3]
    assert eve_nothing == []


@pytest.mark.parametrize("field", ["assignee", "author"])
async def test_me_while_anonymous_is_refused_naming_the_field(tracker: Tracker, field: str) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Anything", assignees=["bob"])

    response = await team.anonymous.get(ISSUES, query_string={field: "me"})

    assert response.status_code == 422, await response.get_data(as_text=True)
    assert await error_fields(response) == [field]


async def test_me_while_anonymous_on_a_private_project_is_a_404_not_a_422(
    tracker: Tracker,
) -> None:
    ada = await tracker.user("ada")
    await tracker.project(ada, "SECRET")

    response = await tracker.anonymous().get(
        "/api/v1/projects/SECRET/issues", query_string={"assignee": "me"}
    )

    assert response.status_code == 404  # the project's existence is not given away


async def test_anonymous_reads_the_same_filtered_list_of_a_public_project(
    tracker: Tracker,
) -> None:
    team = await arrange_dataset(tracker)

    found = await numbers(team.anonymous, {"labels": "bug", "assignee": "cyd", "state": "all"})

    assert found == [12, 7, 2]


@pytest.mark.parametrize(
    "query",
    [
        {"labels": "no-such-label"},
        {"labels": "bug,no-such-label"},
        {"labels": "Bug"},  # names are exact
        {"assignee": "nobody-here"},
        {"author": "nobody-here"},
        {"milestone": "v9"},
        {"milestone": "V1.0"},
    ],
)
async def test_unknown_names_give_an_empty_list_not_an_error(
    tracker: Tracker, query: Query
) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Anything", labels=[])

    body = await team.ada.ok("GET", ISSUES, query_string={"state": "all", **query})

    assert body["items"] == [] and body["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "finished"}, "state"),
        ({"sort": "votes"}, "sort"),
        ({"direction": "up"}, "direction"),
        ({"q": "x" * 201}, "q"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_invalid_list_arguments_are_refused_naming_the_field(
    tracker: Tracker, query: Query, field: str
) -> None:
    team = await team_in_public_project(tracker)

    response = await team.ada.get(ISSUES, query_string=query)

    assert response.status_code == 422, await response.get_data(as_text=True)
    assert field in await error_fields(response)


async def test_a_labels_filter_with_more_than_twenty_names_is_refused(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    names = ",".join(f"label{n}" for n in range(21))

    response = await team.anonymous.get(ISSUES, query_string={"labels": names})

    assert response.status_code == 422, await response.get_data(as_text=True)
    assert await error_fields(response) == ["labels"]


@sqlite_only  # PostgreSQL takes hours to plan a thousand EXISTS clauses (see the test above)
async def test_a_labels_filter_with_a_thousand_names_is_no_server_error(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    names = ",".join(f"label{n}" for n in range(1001))

    response = await team.anonymous.get(ISSUES, query_string={"labels": names})

    assert response.status_code < 500


# --- full-text search ---------------------------------------------------------------------------

SEARCH_TABLE: list[tuple[str, list[int]]] = [
    # title, body and comments
    ("authentication", [10, 9, 1]),  # #1 title, #9 body, #10 comment
    ("firefox", [1]),  # only in a comment
    ("narwhal", [8]),
    # prefixes, case, several words (all of them)
    ("auth", [10, 9, 1]),
    ("AUTHENTICATION", [10, 9, 1]),
    ("Authentic", [10, 9, 1]),
    ("authentication page", [9]),
    ("page authentication", [9]),
    ("authentication zzzz", []),
    ("the menu", [2]),
    ("with", [8, 7]),
    # punctuation separates words
    ("sign-in", [12, 1]),
    ("sign in", [12, 1]),
    ('"sign in"', [12, 1]),
    ("snake_case", [4, 3]),
    ("snake", [4, 3]),
    ("case", [4, 3]),
    ("snake_", [4, 3]),
    ("don't", [4]),
    ("v2.3", [1]),
    ("v2", [1]),
    ("3.14", [11]),
    ("42", [11]),
    ("a@b.com", [3]),
    ("example.com", [1]),
    ("https://example.com/login?next=/home", [1]),
    # unicode: case-folded, but accents count
    ("café", [2]),
    ("CAFÉ", [2]),
    ("Café", [2]),
    ("cafe", [3]),
    ("caf", [3, 2]),
    ("καλημέρα", [5]),
    ("ΚΑΛΗΜΈΡΑ", [5]),
    ("κόσμ", [5]),
    ("東京", [5]),
    ("東京都庁", [5]),
    ("party 🎉", [5]),
    ("🚀party", [5]),
    # long words: the index keeps 64 characters, a longer query word is cut alike
    (LONG_WORD, [6]),
    (LONG_WORD[:64], [6]),
    (LONG_WORD[:70], [6]),
    (LONG_WORD[:20], [6]),
    # FTS operators and quotes are plain words
    ("AND", [11, 7, 5]),
    ("OR", [7]),
    ("NEAR", [7]),
    ("NOT", []),
    ("near(search operators)", [7]),
    ('"quoted"', [7]),
    ('"quoted', [7]),
    ("stars*", [7]),
    ("-minus", [7]),
    ("colon:value", [7]),
    ("value:colon", [7]),
    ("search OR crash", []),  # words are ANDed, OR is one of them
    ("^giraffe", [7]),
    ("giraffe + keeps", [7]),
    ("'; DROP TABLE issues; --", []),
    ("a'b\\c", [4, 3]),  # words a, b and c (prefixes): #3 "at b contact", #4 "api break case"
    # edits and deletions are seen
    ("giraffe", [7]),
    ("zebra", []),  # only in a deleted comment
    ("walrus", []),  # only in the old title
    ("old", [4]),  # "old names" in #4, not the retitled #8
]


async def test_search_finds_words_in_title_body_and_comments(tracker: Tracker) -> None:
    team = await arrange_dataset(tracker)
    table = [({"state": "all", "q": q}, expected) for q, expected in SEARCH_TABLE]

    wrong = await mismatches(team.eve, table)

    assert wrong == {}


@pytest.mark.parametrize("q", ['"', "*", "-", ":", "'", "\\", "()", "🎉", "   ", "_", "'':*"])
async def test_a_query_without_words_searches_nothing_and_lists_everything(
    tracker: Tracker, q: str
) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="First")
    await tracker.issue(team.ada, title="🎉🚀")  # no words at all: an empty search document

    found = await numbers(team.ada, {"q": q})

    assert found == [2, 1]


async def test_a_word_in_a_deleted_issue_is_no_longer_found(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Ostrich sighting")
    await tracker.issue(team.ada, title="Ostrich again")
    await team.ada.ok("DELETE", f"{ISSUES}/1", headers={"If-Match": "*"}, status=204)

    found = await numbers(team.ada, {"q": "ostrich", "state": "all"})

    assert found == [2]


async def test_an_edited_comment_is_found_by_its_new_words_only(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Animals")
    comment_id = await comment(team.cyd, 1, "I saw a pelican")
    await team.cyd.ok(
        "PATCH", f"{ISSUES}/1/comments/{comment_id}", {"body": "I saw a flamingo"},
        headers={"If-Match": "*"},
    )  # fmt: skip

    old, new = await numbers(team.ada, {"q": "pelican"}), await numbers(team.ada, {"q": "flamingo"})

    assert (old, new) == ([], [1])


async def test_a_new_issue_does_not_inherit_the_words_of_a_deleted_one(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Ostrich sighting")
    await team.ada.ok("DELETE", f"{ISSUES}/1", headers={"If-Match": "*"}, status=204)
    await tracker.issue(team.ada, title="Penguin sighting")  # SQLite may hand out the same id

    found = {q: await numbers(team.ada, {"q": q}) for q in ("ostrich", "penguin", "sighting")}

    assert found == {"ostrich": [], "penguin": [2], "sighting": [2]}


async def test_a_recreated_project_does_not_inherit_the_words_of_the_deleted_one(
    tracker: Tracker,
) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Ostrich sighting")
    await team.ada.ok("DELETE", "/api/v1/projects/WEB", status=204)
    await tracker.project(team.ada, "WEB", visibility="public")
    await tracker.issue(team.ada, title="Penguin sighting")

    found = {q: await numbers(team.ada, {"q": q}) for q in ("ostrich", "penguin")}

    assert found == {"ostrich": [], "penguin": [1]}


async def test_composed_and_decomposed_accents_search_alike(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title=unicodedata.normalize("NFD", "Café menu"))
    await tracker.issue(team.ada, title=unicodedata.normalize("NFC", "Café terrace"))
    await tracker.issue(team.ada, title="Cafe hours")

    found = {
        "composed": await numbers(team.ada, {"q": unicodedata.normalize("NFC", "café")}),
        "decomposed": await numbers(team.ada, {"q": unicodedata.normalize("NFD", "café")}),
        "plain": await numbers(team.ada, {"q": "cafe"}),
    }

    assert found == {"composed": [2, 1], "decomposed": [2, 1], "plain": [3]}


async def test_an_uppercase_greek_prefix_finds_what_the_lowercase_one_finds(
    tracker: Tracker,
) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Προσοχή: το κουμπί δεν δουλεύει")

    found = {q: await numbers(team.ada, {"q": q}) for q in ("προσ", "ΠΡΟΣ", "Προσ")}

    assert found == {"προσ": [1], "ΠΡΟΣ": [1], "Προσ": [1]}


def distinct_words(start: int, count: int) -> str:
    """``count`` different 64-letter CJK words (192 bytes each in UTF-8), space-separated."""
    return " ".join(
        "".join(chr(0x4E00 + ((start + n) >> (10 * k)) % 1024) for k in range(3)) + "東" * 61
        for n in range(count)
    )


async def test_a_long_discussion_can_still_be_commented_on_and_searched(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Pasted logs", body=distinct_words(0, 1000))

    statuses = [
        (
            await team.cyd.post(f"{ISSUES}/1/comments", json={"body": distinct_words(n, 1000)})
        ).status_code
        for n in range(1000, 6000, 1000)
    ]
    first_word, last_word = distinct_words(0, 1), distinct_words(5999, 1)

    assert statuses == [201] * 5
    # Past the index's size cap, the later words are left out; the title and body stay in.
    assert await numbers(team.ada, {"q": "pasted"}) == [1]
    assert await numbers(team.ada, {"q": first_word}) == [1]
    assert await numbers(team.ada, {"q": last_word}) == []


# --- sorting ------------------------------------------------------------------------------------

SORT_TABLE: list[tuple[Query, list[int]]] = [
    ({"sort": "created"}, [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
    ({"sort": "created", "direction": "desc"}, [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
    ({"sort": "created", "direction": "asc"}, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    # #7 lost a comment and #8 was retitled after everything else
    ({"sort": "updated", "direction": "desc"}, [8, 7, 12, 11, 10, 9, 6, 5, 4, 3, 2, 1]),
    ({"sort": "updated", "direction": "asc"}, [1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 7, 8]),
    # equal comment counts fall back to the id, in the same direction
    ({"sort": "comments", "direction": "desc"}, [12, 10, 7, 3, 1, 11, 9, 8, 6, 5, 4, 2]),
    ({"sort": "comments", "direction": "asc"}, [2, 4, 5, 6, 8, 9, 11, 1, 3, 7, 10, 12]),
    ({"sort": "comments", "direction": "desc", "labels": "bug"}, [12, 7, 1, 9, 2]),
    ({"sort": "updated", "direction": "desc", "state": "open"}, [8, 7, 12, 11, 10, 5, 4, 2, 1]),
]


async def test_sorting_orders_by_created_updated_or_comments(tracker: Tracker) -> None:
    team = await arrange_dataset(tracker)
    table = [({"state": "all", **query}, expected) for query, expected in SORT_TABLE]

    wrong = await mismatches(team.eve, table)

    assert wrong == {}


async def test_equal_sort_values_are_ordered_by_id(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    for title in ("One", "Two", "Three", "Four"):
        await tracker.issue(team.ada, title=title)
    same_moment = datetime(2030, 1, 1, tzinfo=UTC)
    async with tracker.database.write_sessions() as session:
        await session.execute(update(Issue).values(created_at=same_moment, updated_at=same_moment))
        await session.commit()

    orders = {
        f"{sort} {direction}": await numbers(team.ada, {"sort": sort, "direction": direction})
        for sort in ("created", "updated", "comments")
        for direction in ("asc", "desc")
    }

    assert orders == {
        "created asc": [1, 2, 3, 4], "created desc": [4, 3, 2, 1],
        "updated asc": [1, 2, 3, 4], "updated desc": [4, 3, 2, 1],
        "comments asc": [1, 2, 3, 4], "comments desc": [4, 3, 2, 1],
    }  # fmt: skip


async def test_a_new_comment_moves_an_issue_to_the_top_of_recently_updated(
    tracker: Tracker,
) -> None:
    team = await team_in_public_project(tracker)
    for title in ("One", "Two", "Three"):
        await tracker.issue(team.ada, title=title)

    await comment(team.cyd, 1, "Bump")

    assert await numbers(team.ada, {"sort": "updated"}) == [1, 3, 2]


# --- pages --------------------------------------------------------------------------------------


async def test_pages_split_the_list_and_report_the_total(tracker: Tracker) -> None:
    team = await arrange_dataset(tracker)

    pages = [
        await team.eve.ok("GET", ISSUES, query_string={"state": "all", "per_page": "5", "page": p})
        for p in ("1", "2", "3")
    ]

    assert [[item["number"] for item in page["items"]] for page in pages] == [
        [12, 11, 10, 9, 8], [7, 6, 5, 4, 3], [2, 1],
    ]  # fmt: skip
    assert {(p["total"], p["per_page"], p["last_page"]) for p in pages} == {(12, 5, 3)}
    assert [page["page"] for page in pages] == [1, 2, 3]


async def test_link_header_keeps_the_filters_and_omits_missing_pages(tracker: Tracker) -> None:
    team = await arrange_dataset(tracker)
    query = "state=all&labels=bug&per_page=2"

    first = await team.eve.get(f"{ISSUES}?{query}")
    middle = await team.eve.get(f"{ISSUES}?{query}&page=2")
    last = await team.eve.get(f"{ISSUES}?{query}&page=3")

    def url(page: int) -> str:
        return f"{ISSUES}?state=all&labels=bug&per_page=2&page={page}"

    assert links(first) == {"first": url(1), "next": url(2), "last": url(3)}
    assert links(middle) == {"first": url(1), "prev": url(1), "next": url(3), "last": url(3)}
    assert links(last) == {"first": url(1), "prev": url(2), "last": url(3)}
    assert {r.headers["X-Total-Count"] for r in (first, middle, last)} == {"5"}


async def test_following_next_links_visits_every_matching_issue_once(tracker: Tracker) -> None:
    team = await arrange_dataset(tracker)
    url: str | None = f"{ISSUES}?state=all&labels=priority/low&sort=comments&per_page=1"
    seen: list[int] = []

    while url is not None:
        response = await team.eve.get(url)
        assert response.status_code == 200
        seen += [item["number"] for item in (await response.get_json())["items"]]
        url = links(response).get("next")
        if url is not None:  # relative, and keeps every filter
            assert not urlsplit(url).netloc
            assert ("labels", "priority/low") in parse_qsl(urlsplit(url).query)

    assert seen == [9, 8, 2]


async def test_a_single_page_has_only_first_and_last_links(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Only one")

    response = await team.ada.get(ISSUES)

    assert links(response) == {"first": f"{ISSUES}?page=1", "last": f"{ISSUES}?page=1"}
    assert response.headers["X-Total-Count"] == "1"


async def test_an_empty_list_is_one_empty_page(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)

    response = await team.ada.get(ISSUES, query_string={"q": "nothing"})
    body = await response.get_json()

    assert (body["items"], body["total"], body["page"], body["last_page"]) == ([], 0, 1, 1)
    assert response.headers["X-Total-Count"] == "0"
    assert set(links(response)) == {"first", "last"}


async def test_a_page_past_the_end_is_empty_with_the_right_total(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    for title in ("One", "Two", "Three"):
        await tracker.issue(team.ada, title=title)

    response = await team.eve.get(ISSUES, query_string={"per_page": "2", "page": "9"})
    body = await response.get_json()

    assert response.status_code == 200
    assert (body["items"], body["total"], body["page"], body["last_page"]) == ([], 3, 9, 2)
    assert "next" not in links(response)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "-1"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"page": "-3"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "100001"}, "page"),
        ({"page": "99999999999999999999999"}, "page"),
    ],
)
async def test_page_arguments_out_of_range_are_refused(
    tracker: Tracker, query: Query, field: str
) -> None:
    team = await team_in_public_project(tracker)

    response = await team.ada.get(ISSUES, query_string=query)

    assert response.status_code == 422, await response.get_data(as_text=True)
    assert await error_fields(response) == [field]


async def test_per_page_of_one_hundred_is_allowed(tracker: Tracker) -> None:
    team = await team_in_public_project(tracker)
    await tracker.issue(team.ada, title="Only one")

    body = await team.ada.ok("GET", ISSUES, query_string={"per_page": "100"})

    assert (body["per_page"], body["total"]) == (100, 1)


# --- your issues across projects ----------------------------------------------------------------

MINE = "/api/v1/issues"


async def arrange_issues_across_projects(tracker: Tracker) -> ApiUser:
    """bob works in four projects: still a member of PRIV (private), removed from OLDPRIV
    (private) and from OLDPUB (public); never a member of OTHER (private).

    PRIV-1 by ada, assigned to bob       PRIV-2 by bob      PRIV-3 by bob, assigned, closed
    OLDPRIV-1 by ada, assigned to bob    OLDPRIV-2 by bob
    OLDPUB-1 by ada, assigned to bob     OLDPUB-2 by bob
    OTHER-1 by ada, assigned to cyd      (never seen by bob)
    """
    ada, bob = await tracker.user("ada"), await tracker.user("bob")
    await tracker.user("cyd")
    for key, visibility in (("PRIV", "private"), ("OLDPRIV", "private"), ("OLDPUB", "public")):
        await tracker.project(ada, key, visibility=visibility, members={"bob": "maintainer"})
        await ada.ok("POST", f"/api/v1/projects/{key}/labels", {"name": "bug"}, status=201)
        await tracker.issue(ada, key, title=f"{key} for bob", assignees=["bob"], labels=["bug"])
        await tracker.issue(bob, key, title=f"{key} by bob")
    await tracker.issue(bob, "PRIV", title="PRIV closed", assignees=["bob"])
    await bob.ok(
        "PATCH", "/api/v1/projects/PRIV/issues/3", {"state": "closed"}, headers={"If-Match": "*"}
    )
    for key in ("OLDPRIV", "OLDPUB"):
        await ada.ok("DELETE", f"/api/v1/projects/{key}/members/bob", status=204)
    await tracker.project(ada, "OTHER", members={"cyd": "reporter"})
    await tracker.issue(ada, "OTHER", title="OTHER for cyd", assignees=["cyd"])
    return bob


async def keys(who: ApiUser, query: Query) -> list[str]:
    body = await who.ok("GET", MINE, query_string={"per_page": "100", **query})
    return [item["key"] for item in body["items"]]


async def test_my_assigned_issues_span_projects_i_can_still_see(tracker: Tracker) -> None:
    bob = await arrange_issues_across_projects(tracker)

    assigned = await keys(bob, {"filter": "assigned", "state": "all", "direction": "asc"})
    default = await keys(bob, {})

    assert assigned == ["PRIV-1", "OLDPUB-1", "PRIV-3"]
    assert default == ["OLDPUB-1", "PRIV-1"]  # assigned and open, newest first


async def test_my_created_issues_span_projects_i_can_still_see(tracker: Tracker) -> None:
    bob = await arrange_issues_across_projects(tracker)

    created = await keys(bob, {"filter": "created", "state": "all", "direction": "asc"})

    assert created == ["PRIV-2", "OLDPUB-2", "PRIV-3"]


async def test_my_issues_take_the_same_filters(tracker: Tracker) -> None:
    bob = await arrange_issues_across_projects(tracker)

    table = {
        "labels=bug": await keys(bob, {"labels": "bug"}),
        "state=closed": await keys(bob, {"state": "closed"}),
        "q=oldpub": await keys(bob, {"q": "oldpub", "state": "all"}),
        "author=ada": await keys(bob, {"author": "ada", "direction": "asc"}),
        "created+labels=bug": await keys(bob, {"filter": "created", "labels": "bug"}),
    }

    assert table == {
        "labels=bug": ["OLDPUB-1", "PRIV-1"],
        "state=closed": ["PRIV-3"],
        "q=oldpub": ["OLDPUB-1"],
        "author=ada": ["PRIV-1", "OLDPUB-1"],
        "created+labels=bug": [],
    }


async def test_my_issues_filter_by_milestone(tracker: Tracker) -> None:
    bob = await arrange_issues_across_projects(tracker)
    await bob.ok("POST", "/api/v1/projects/PRIV/milestones", {"title": "v1"}, status=201)
    await bob.ok(
        "PATCH", "/api/v1/projects/PRIV/issues/1", {"milestone": "v1"}, headers={"If-Match": "*"}
    )

    table = {title: await keys(bob, {"milestone": title}) for title in ("v1", "none", "*", "v9")}

    assert table == {"v1": ["PRIV-1"], "none": ["OLDPUB-1"], "*": ["PRIV-1"], "v9": []}


async def test_my_issues_are_paged_with_links(tracker: Tracker) -> None:
    bob = await arrange_issues_across_projects(tracker)

    response = await bob.get(
        MINE, query_string={"filter": "created", "state": "all", "per_page": 2}
    )
    body = await response.get_json()

    assert (body["total"], body["last_page"], len(body["items"])) == (3, 2, 2)
    assert links(response)["next"] == f"{MINE}?filter=created&state=all&per_page=2&page=2"


async def test_my_issues_need_someone_signed_in(tracker: Tracker) -> None:
    await arrange_issues_across_projects(tracker)

    response = await tracker.anonymous().get(MINE)

    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "AUTHENTICATION_REQUIRED"


async def test_my_issues_refuse_an_unknown_filter(tracker: Tracker) -> None:
    bob = await arrange_issues_across_projects(tracker)

    response = await bob.get(MINE, query_string={"filter": "mentioned"})

    assert response.status_code == 422
    assert await error_fields(response) == ["filter"]


# --- the project list ---------------------------------------------------------------------------

PROJECTS = "/api/v1/projects"


async def arrange_projects(tracker: Tracker) -> tuple[ApiUser, ApiUser]:
    """cyd owns AAA (public) and CCC (private); ada owns BBB (private, bob maintains it) and
    DDD (public); bob owns none."""
    ada, bob, cyd = await tracker.user("ada"), await tracker.user("bob"), await tracker.user("cyd")
    await tracker.project(cyd, "AAA", visibility="public")
    await tracker.project(ada, "BBB", members={"bob": "maintainer"})
    await tracker.project(cyd, "CCC")
    await tracker.project(ada, "DDD", visibility="public")
    return ada, bob


async def project_list(who: ApiUser, query: Query) -> list[tuple[str, str | None]]:
    body = await who.ok("GET", PROJECTS, query_string=query)
    return [(item["key"], item["role"]) for item in body["items"]]


async def test_project_list_shows_public_projects_and_mine_by_key(tracker: Tracker) -> None:
    ada, bob = await arrange_projects(tracker)

    seen = {
        "bob": await project_list(bob, {}),
        "ada": await project_list(ada, {}),
        "anonymous": await project_list(tracker.anonymous(), {}),
    }

    assert seen == {
        "bob": [("AAA", None), ("BBB", "maintainer"), ("DDD", None)],
        "ada": [("AAA", None), ("BBB", "owner"), ("DDD", "owner")],
        "anonymous": [("AAA", None), ("DDD", None)],
    }


async def test_project_list_scope_mine_shows_only_my_memberships(tracker: Tracker) -> None:
    ada, bob = await arrange_projects(tracker)

    mine = {"bob": await project_list(bob, {"scope": "mine"})}
    mine["ada"] = await project_list(ada, {"scope": "mine"})

    assert mine == {"bob": [("BBB", "maintainer")], "ada": [("BBB", "owner"), ("DDD", "owner")]}


async def test_project_list_scope_mine_needs_someone_signed_in(tracker: Tracker) -> None:
    await arrange_projects(tracker)

    response = await tracker.anonymous().get(PROJECTS, query_string={"scope": "mine"})

    assert response.status_code == 401


async def test_project_list_is_paged_with_links(tracker: Tracker) -> None:
    _ada, bob = await arrange_projects(tracker)

    first = await bob.get(PROJECTS, query_string={"per_page": "2"})
    second = await bob.get(PROJECTS, query_string={"per_page": "2", "page": "2"})
    body_1, body_2 = await first.get_json(), await second.get_json()

    assert [item["key"] for item in body_1["items"] + body_2["items"]] == ["AAA", "BBB", "DDD"]
    assert (body_1["total"], body_1["last_page"]) == (3, 2)
    assert links(first) == {
        "first": f"{PROJECTS}?per_page=2&page=1",
        "next": f"{PROJECTS}?per_page=2&page=2",
        "last": f"{PROJECTS}?per_page=2&page=2",
    }
    assert "next" not in links(second) and second.headers["X-Total-Count"] == "3"


@pytest.mark.parametrize("query", [{"per_page": "101"}, {"page": "0"}, {"scope": "everything"}])
async def test_project_list_refuses_bad_arguments(tracker: Tracker, query: Query) -> None:
    _ada, bob = await arrange_projects(tracker)

    response = await bob.get(PROJECTS, query_string=query)

    assert response.status_code == 422
    assert await error_fields(response) == list(query)
