"""The report as Markdown for an issue tracker: headings, tables, and
fenced code for stacks and values (GitHub/GitLab flavour)."""

from __future__ import annotations

from typing import Any

from dapcore.report.blocks import Block, section_blocks

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    """A table cell: pipes escaped, code spans where they help, no newline."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _fence(lines: list[str]) -> str:
    """A fence longer than any run of backticks in the text."""
    ticks = "```"
    while any(ticks in line for line in lines):
        ticks += "`"
    return ticks


def _block(b: Block) -> list[str]:
    if b.kind == "para":
        return [_cell(b.text), ""]
    if b.kind == "pairs":
        out = ["| | |", "|---|---|"]
        out.extend(f"| {_cell(k)} | {_cell(v)} |" for k, v in b.pairs)
        return [*out, ""]
    if b.kind == "table":
        if not b.rows:
            return ["(none)", ""]
        out = ["| " + " | ".join(_cell(h) for h in b.header) + " |",
               "|" + "---|" * len(b.header)]
        out.extend("| " + " | ".join(_cell(c) for c in r) + " |" for r in b.rows)
        return [*out, ""]
    fence = _fence(b.lines)
    return [fence + "text", *b.lines, fence, ""]


def render_markdown(doc: dict[str, Any]) -> str:
    """``doc``: :meth:`dapcore.report.model.Report.to_json`."""
    sig = doc["sections"].get("signature", {})
    title = "# Go crash report"
    if sig.get("available"):
        title += f" `{sig['data']['hash']}`"
    out = [title, "", "> **Warning.** " + _cell(doc["warning"]), "",
           f"Executable `{doc['files']['executable']}`, core `{doc['files']['core']}`, "
           f"made by {doc['tool']}" + (" (redacted)." if doc["redacted"] else "."), ""]
    for key, section in doc["sections"].items():
        out += [f"## {section['title']}", ""]
        for b in section_blocks(key, section):
            out.extend(_block(b))
    if doc["warnings"]:
        out += ["## Damage found while reading the core", ""]
        out.extend(f"- {_cell(w)}" for w in doc["warnings"])
        out.append("")
    return "\n".join(out)
