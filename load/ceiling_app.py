"""The ceiling: a bare Quart app that returns a constant, served like the tracker.

The benchmarks report every endpoint's throughput as a ratio of this app's, measured in the
same run on the same hypercorn settings, so the ratios do not depend on the machine's speed.
"""

from quart import Quart

app = Quart(__name__)


@app.get("/")
async def constant() -> dict[str, str]:
    return {"status": "ok"}
