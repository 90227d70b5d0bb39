"""Every error has one shape: JSON for API clients, a page for browsers, never a traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel, ConfigDict
from quart import Quart, abort
from quart.typing import TestClientProtocol as Client
from quart_schema import validate_request

from quart_app import create_app
from quart_app.errors import APIError
from tests.support import config_for, create_current_schema

pytestmark = pytest.mark.integration


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str


@pytest.fixture
async def app_with_probe_routes(database_url: str) -> AsyncIterator[Quart]:
    """The app plus routes that fail on purpose, with exceptions handled as in production."""
    await create_current_schema(database_url)
    app = create_app(config_for(database_url, PROPAGATE_EXCEPTIONS=False))

    @app.post("/api/v1/probe")
    @validate_request(Payload)
    async def probe(data: Payload) -> dict[str, str]:
        if data.title == "conflict":
            raise APIError(409, "CONFLICT", "That title is taken.", [{"field": "title"}])
        return {"title": data.title}

    @app.get("/api/v1/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals at /srv/app.py")

    @app.get("/api/v1/maintenance")
    async def maintenance() -> None:
        abort(503, description="Down for maintenance.", response=None)

    @app.get("/page-crash")
    async def page_crash() -> None:
        raise RuntimeError("secret internals at /srv/app.py")

    async with app.test_app():
        yield app


async def test_api_error_has_the_documented_shape(app_with_probe_routes: Quart) -> None:
    response = await app_with_probe_routes.test_client().post(
        "/api/v1/probe", json={"title": "conflict"}
    )
    assert response.status_code == 409
    assert await response.get_json() == {
        "error": {
            "code": "CONFLICT",
            "message": "That title is taken.",
            "details": [{"field": "title"}],
        }
    }


async def test_validation_error_names_the_field(app_with_probe_routes: Quart) -> None:
    client = app_with_probe_routes.test_client()
    response = await client.post("/api/v1/probe", json={"title": "x", "admin": True})
    assert response.status_code == 422
    error = (await response.get_json())["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [detail["field"] for detail in error["details"]] == ["admin"]


async def test_malformed_json_is_a_client_error(app_with_probe_routes: Quart) -> None:
    client = app_with_probe_routes.test_client()
    response = await client.post(
        "/api/v1/probe", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code in {400, 422}
    assert "error" in await response.get_json()


async def test_unknown_api_path_is_a_json_404(app_with_probe_routes: Quart) -> None:
    response = await app_with_probe_routes.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "NOT_FOUND"


async def test_unknown_page_is_an_html_404_for_browsers(app_with_probe_routes: Quart) -> None:
    response = await app_with_probe_routes.test_client().get(
        "/nothing-here", headers={"Accept": "text/html"}
    )
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "We could not find that page" in await response.get_data(as_text=True)


async def test_wrong_method_is_405_with_allow(app_with_probe_routes: Quart) -> None:
    response = await app_with_probe_routes.test_client().delete("/healthz")
    assert response.status_code == 405
    assert (await response.get_json())["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("path", ["/api/v1/crash", "/page-crash"])
async def test_a_crash_is_a_generic_500_without_internals(
    app_with_probe_routes: Quart, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await app_with_probe_routes.test_client().get(path)
    body = await response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert "Something went wrong on our side." in body
    assert "secret internals" in caplog.text  # but the operator sees it in the log


async def test_oversize_body_is_413(app_with_probe_routes: Quart) -> None:
    response = await app_with_probe_routes.test_client().post(
        "/api/v1/probe", json={"title": "x" * (1024 * 1024 + 1)}
    )
    assert response.status_code == 413
    assert (await response.get_json())["error"]["code"] == "REQUEST_ENTITY_TOO_LARGE"


async def test_openapi_document_is_served(client: Client) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert (await response.get_json())["info"]["title"] == "quart_app"


async def test_a_deliberate_503_keeps_its_status_and_message(app_with_probe_routes: Quart) -> None:
    response = await app_with_probe_routes.test_client().get("/api/v1/maintenance")
    assert response.status_code == 503
    assert (await response.get_json())["error"]["message"] == "Down for maintenance."
