"""Profile one hot endpoint under wrk load with py-spy: where the workers spend their time.

    .venv/bin/python load/profile.py --data DATA get-issue

Serves the tracker on a seeded dataset (`load/capacity.py --data DATA` seeds one), drives one
capacity target with wrk at 32 connections, and samples every worker with py-spy meanwhile.
Writes load/reports/profile-<target>/: the collapsed stacks (stacks.txt), top.md, the modules
and functions holding the most samples (inclusive), so two profiles compare in a diff, and
flame.svg when flamegraph.pl or inferno-flamegraph is on the PATH.

py-spy is not a dependency of the app: `.venv/bin/pip install py-spy` first. It slows the
server down, so read shares, not rps, from a profile.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import benchlib
import capacity

TARGETS = {
    "get-issue": capacity.GET_ISSUE,
    "issue-list": capacity.ISSUE_LIST,
    "issue-page": capacity.ISSUE_PAGE,
    "create-issue": capacity.CREATE_ISSUE,
}
TOP_ROWS = 40


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--data", type=Path, required=True, help="capacity.py's --data folder")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy", path=str(benchlib.VENV_BIN)) or shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy is missing: .venv/bin/pip install py-spy")

    folder = benchlib.LOAD_DIR / "reports" / f"profile-{args.target}"
    folder.mkdir(parents=True, exist_ok=True)
    url = benchlib.database_url(args.database, args.data)
    credentials = benchlib.read_credentials(args.data / f"credentials-{args.database}.json")
    log_path = folder / "server.log"
    log_path.unlink(missing_ok=True)
    with benchlib.app_server(url, workers=args.workers, log_path=log_path) as server:
        user, _ = capacity.member_and_project(credentials)
        cookie = benchlib.sign_in_cookie(server.base_url, user["username"], credentials["password"])
        lua = capacity.wrk_scripts(credentials, cookie)[TARGETS[args.target]]
        capacity.run_wrk(server.base_url, lua, seconds=2, connections=32, folder=folder)
        assert server.process is not None
        collapsed = folder / "stacks.txt"
        record = [
            py_spy, "record", "--subprocesses", "--nonblocking", "--rate", str(args.rate),
            "--duration", str(args.seconds), "--format", "raw", "--output", str(collapsed),
            "--pid", str(server.process.pid),
        ]  # fmt: skip
        sampler = threading.Thread(target=subprocess.run, args=(record,), kwargs={"check": True})
        sampler.start()
        result = capacity.run_wrk(
            server.base_url, lua, seconds=args.seconds, connections=32, folder=folder
        )
        sampler.join()
    _flame_graph(collapsed, folder / "flame.svg")
    (folder / "top.md").write_text(_top_table(collapsed, args, result))
    print((folder / "top.md").read_text())
    return 0


def _flame_graph(collapsed: Path, svg: Path) -> None:
    """py-spy writes raw stacks; render them with the flamegraph tool if it is installed."""
    tool = shutil.which("flamegraph.pl") or shutil.which("inferno-flamegraph")
    if tool is None:
        return
    with collapsed.open() as stacks, svg.open("w") as out:
        subprocess.run([tool], stdin=stacks, stdout=out, check=False)


def _top_table(collapsed: Path, args: argparse.Namespace, result: dict) -> str:
    """Inclusive share of samples per function and per module, from py-spy's collapsed stacks."""
    functions: collections.Counter[str] = collections.Counter()
    modules: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        total += count
        frames = stack.split(";")[1:]  # the first frame names the process
        for name in {frame.split(" (")[0] + " " + _module(frame) for frame in frames}:
            functions[name] += count
        for module in {_module(frame) for frame in frames}:
            modules[module] += count
    lines = [
        f"# Profile: {args.target} ({args.database}, {args.workers} workers)",
        "",
        f"`python load/profile.py --data DATA {args.target} --database {args.database}"
        f" --workers {args.workers} --seconds {args.seconds}`",
        "",
        f"wrk: {result['rps']:.0f} rps, p99 {result['p99_ms']:.1f} ms; {total} samples.",
        "",
        "| inclusive % | module |",
        "|---|---|",
        *(f"| {100 * n / total:.1f} | {name} |" for name, n in modules.most_common(TOP_ROWS)),
        "",
        "| inclusive % | function |",
        "|---|---|",
        *(f"| {100 * n / total:.1f} | {name} |" for name, n in functions.most_common(TOP_ROWS)),
    ]
    return "\n".join(lines) + "\n"


def _module(frame: str) -> str:
    """`render (jinja2/environment.py:1295)` -> `jinja2/environment.py`."""
    location = frame.partition(" (")[2].rstrip(")")
    path = location.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/"):
        path = path.split(marker)[-1]
    return path


if __name__ == "__main__":
    sys.exit(main())
