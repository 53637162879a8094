"""The report as JSON: :meth:`Report.to_json`, described by
``report-schema.json`` (JSON Schema 2020-12, beside this module; prose in
``docs/report-schema.md``). ``schemaVersion`` grows when a field changes
meaning or goes away; new fields may appear without it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["render_json", "schema"]


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema of the report (``report-schema.json``)."""
    text = resources.files("dapcore.report").joinpath("report-schema.json").read_text()
    result: dict[str, Any] = json.loads(text)
    return result
