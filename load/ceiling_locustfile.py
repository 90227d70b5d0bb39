"""The ceiling under locust: every user asks the bare Quart app (load/ceiling_app.py) for `/`.

load/bench.py runs it with the same users and processes as the personas, so each endpoint's
throughput can be read as a share of what locust and hypercorn manage with no app work at all.
"""

from __future__ import annotations

from locust import FastHttpUser, constant, task


class CeilingUser(FastHttpUser):
    """No think time: the ceiling is the most this setup can serve."""

    wait_time = constant(0)

    @task
    def constant(self) -> None:
        self.client.get("/", name="/ (bare Quart ceiling)")
