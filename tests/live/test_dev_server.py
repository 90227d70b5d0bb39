"""The README's run command: `quart_app run` migrates the embedded SQLite file and serves."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.live import server

pytestmark = pytest.mark.slow


def test_run_creates_and_migrates_the_instance_database_then_serves(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    port = server.free_port()
    command = ["quart_app", "run", "--no-reload", "--port", str(port)]
    live = server.start(
        command, {"INSTANCE_PATH": str(instance)}, port=port, log_path=tmp_path / "log"
    )
    try:
        live.wait_until_healthy()
        ready = httpx.get(f"{live.base_url}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
    finally:
        live.stop()
    assert (instance / "quart_app.sqlite3").exists()
    assert "Database migrated. Serving on" in live.log()
