"""Data files shipped inside the package (tables kept as data rather than as code)."""
from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load_json(package: str, name: str) -> Any:
    """The JSON file ``name`` beside the modules of ``package`` ("vgtui.engine")."""
    return json.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))
