"""A core's report in one of the three formats."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.report.assemble import build_report
from dapcore.report.jsonout import render_json
from dapcore.report.markdown import render_markdown
from dapcore.report.text import render_text

if TYPE_CHECKING:
    from dapcore.engine import Engine

__all__ = ["EXTENSIONS", "FORMATS", "render"]

FORMATS = ("text", "markdown", "json")
EXTENSIONS = {"text": "txt", "markdown": "md", "json": "json"}


def render(engine: Engine, fmt: str, redact: bool) -> str:
    doc = build_report(engine, redact).to_json()
    if fmt == "json":
        return render_json(doc)
    if fmt == "markdown":
        return render_markdown(doc)
    return render_text(doc)
