"""Static files under content-hashed names (``app.3f2a1b9c04.css``), cached for a year.

A changed file gets a new name, so browsers, proxies and CDNs may keep every version forever.
Templates link them with ``asset_url("app.css")``. The names are computed once, at start-up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from quart import Quart, Response, abort, current_app, send_file, url_for

from quart_app.security.rate_limits import rate_exempt

ONE_YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"


@dataclass
class AssetManifest:
    root: Path
    hashed_names: dict[str, str] = field(default_factory=dict)  # "app.css" -> "app.<hash>.css"
    files: dict[str, Path] = field(default_factory=dict)  # "app.<hash>.css" -> its file

    @classmethod
    def scan(cls, root: Path) -> AssetManifest:
        manifest = cls(root)
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            stem, dot, suffix = name.rpartition(".")
            hashed = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
            manifest.hashed_names[name] = hashed
            manifest.files[hashed] = path
        return manifest


def asset_url(name: str) -> str:
    """The URL of a static file under its content-hashed name (a template global)."""
    manifest: AssetManifest = current_app.extensions["assets"]
    return url_for("assets", filename=manifest.hashed_names[name])


@rate_exempt("plain files; pages must style even when a client is limited")
async def serve_asset(filename: str) -> Response:
    manifest: AssetManifest = current_app.extensions["assets"]
    path = manifest.files.get(filename)
    if path is None:
        abort(404)
    response = await send_file(path, conditional=True)
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def init_app(app: Quart) -> None:
    assert app.static_folder is not None
    app.extensions["assets"] = AssetManifest.scan(Path(app.static_folder))
    app.add_url_rule("/assets/<path:filename>", "assets", serve_asset)
    app.add_template_global(asset_url)
