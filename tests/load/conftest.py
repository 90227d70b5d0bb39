"""The personas live in load/ (a script directory, not a package): put it on the import path."""

from __future__ import annotations

import sys
from pathlib import Path

LOAD_DIRECTORY = Path(__file__).resolve().parents[2] / "load"
if str(LOAD_DIRECTORY) not in sys.path:
    sys.path.insert(0, str(LOAD_DIRECTORY))
