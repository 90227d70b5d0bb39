"""DATABASE_URL as platforms hand it out, normalised to the async drivers."""

from __future__ import annotations

import pytest

from quart_app.db import DatabaseURLError, normalise_database_url

pytestmark = pytest.mark.unit


def test_heroku_style_postgres_scheme_becomes_asyncpg() -> None:
    database = normalise_database_url("postgres://user:secret@db.example:5432/tracker")
    assert database.url == "postgresql+asyncpg://user:secret@db.example:5432/tracker"
    assert database.connect_args == {}


def test_postgresql_scheme_becomes_asyncpg() -> None:
    database = normalise_database_url("postgresql://user@db.example/tracker")
    assert database.url == "postgresql+asyncpg://user@db.example/tracker"


def test_sslmode_moves_from_the_url_to_the_ssl_connect_argument() -> None:
    database = normalise_database_url("postgresql://u:p@db.example/tracker?sslmode=require")
    assert database.url == "postgresql+asyncpg://u:p@db.example/tracker"
    assert database.connect_args == {"ssl": "require"}


def test_other_query_parameters_stay_in_the_url() -> None:
    url = "postgresql://u@db.example/t?sslmode=verify-full&prepared_statement_cache_size=0"
    database = normalise_database_url(url)
    assert database.url == "postgresql+asyncpg://u@db.example/t?prepared_statement_cache_size=0"
    assert database.connect_args == {"ssl": "verify-full"}


def test_unknown_sslmode_is_refused() -> None:
    with pytest.raises(DatabaseURLError, match="sslmode='sometimes'"):
        normalise_database_url("postgres://db.example/t?sslmode=sometimes")


def test_libpq_options_become_server_settings() -> None:
    database = normalise_database_url(
        "postgresql://db.example/t?options=-csearch_path%3Dtenant%20-c%20statement_timeout%3D5s"
    )
    assert database.connect_args == {
        "server_settings": {"search_path": "tenant", "statement_timeout": "5s"}
    }


def test_malformed_libpq_options_are_refused() -> None:
    with pytest.raises(DatabaseURLError, match="expected '-c name=value'"):
        normalise_database_url("postgresql://db.example/t?options=-cnovalue")


def test_asyncpg_url_is_kept_as_given() -> None:
    url = "postgresql+asyncpg://u:p@db.example:6543/t"
    assert normalise_database_url(url).url == url


def test_password_with_reserved_characters_survives() -> None:
    database = normalise_database_url("postgres://u:p%40ss%2Fw@db.example/t")
    assert database.url == "postgresql+asyncpg://u:p%40ss%2Fw@db.example/t"


def test_relative_sqlite_path_becomes_aiosqlite() -> None:
    database = normalise_database_url("sqlite:///data/tracker.sqlite3")
    assert database.url == "sqlite+aiosqlite:///data/tracker.sqlite3"
    assert database.is_sqlite


def test_absolute_sqlite_path_becomes_aiosqlite() -> None:
    database = normalise_database_url("sqlite:////var/lib/tracker/db.sqlite3")
    assert database.url == "sqlite+aiosqlite:////var/lib/tracker/db.sqlite3"


def test_in_memory_sqlite_becomes_aiosqlite() -> None:
    assert normalise_database_url("sqlite://").url == "sqlite+aiosqlite://"


@pytest.mark.parametrize("url", ["mysql://db.example/t", "mongodb://db.example/t"])
def test_unsupported_database_is_refused(url: str) -> None:
    with pytest.raises(DatabaseURLError, match="is not supported"):
        normalise_database_url(url)


def test_text_that_is_not_a_url_is_refused() -> None:
    with pytest.raises(DatabaseURLError, match="is not a database URL"):
        normalise_database_url("not a url")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_recognised(url: str) -> None:
    assert normalise_database_url(url).is_in_memory


def test_sqlite_file_is_not_in_memory() -> None:
    assert not normalise_database_url("sqlite:///tracker.sqlite3").is_in_memory


def test_libpq_connect_timeout_and_application_name_are_translated() -> None:
    database = normalise_database_url(
        "postgresql://db.example/t?connect_timeout=7&application_name=tracker&channel_binding=require"
    )
    assert database.url == "postgresql+asyncpg://db.example/t"
    assert database.connect_args == {
        "timeout": 7.0,
        "server_settings": {"application_name": "tracker"},
    }


def test_unknown_query_parameters_are_refused_at_start_up() -> None:
    with pytest.raises(DatabaseURLError, match="unsupported query parameters: frobnicate"):
        normalise_database_url("postgresql://db.example/t?frobnicate=1")


def test_a_malformed_port_is_refused_without_echoing_the_password() -> None:
    with pytest.raises(DatabaseURLError) as caught:
        normalise_database_url("postgresql://u:hunter2@db.example:5432:x/t")
    assert "hunter2" not in str(caught.value)


def test_uri_style_in_memory_sqlite_is_recognised() -> None:
    assert normalise_database_url("sqlite:///file::memory:?cache=shared&uri=true").is_in_memory
