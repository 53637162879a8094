"""The report for a terminal: plain text, one titled part per section."""

from __future__ import annotations

from typing import Any

from dapcore.report.blocks import Block, section_blocks

__all__ = ["render_text"]


def _block(b: Block) -> list[str]:
    if b.kind == "para":
        return [b.text]
    if b.kind == "pairs":
        width = max((len(k) for k, _ in b.pairs), default=0)
        return [f"  {k + ':':<{width + 1}} {v}" for k, v in b.pairs]
    if b.kind == "table":
        if not b.rows:
            return ["  (none)"]
        widths = [max(len(h), *(len(r[i]) for r in b.rows)) for i, h in enumerate(b.header)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        out = ["  " + fmt.format(*b.header).rstrip()]
        out.extend("  " + fmt.format(*r).rstrip() for r in b.rows)
        return out
    return ["    " + line for line in b.lines]


def render_text(doc: dict[str, Any]) -> str:
    """``doc``: :meth:`dapcore.report.model.Report.to_json`."""
    out = ["dapcore crash report" + (" (redacted)" if doc["redacted"] else ""),
           "", "WARNING: " + doc["warning"], "",
           f"executable: {doc['files']['executable']}", f"core:       {doc['files']['core']}"]
    for key, section in doc["sections"].items():
        title = section["title"]
        out += ["", title, "=" * len(title)]
        for i, b in enumerate(section_blocks(key, section)):
            if i:
                out.append("")
            out.extend(_block(b))
    if doc["warnings"]:
        out += ["", "Damage found while reading the core", "=" * 35]
        out.extend(f"- {w}" for w in doc["warnings"])
    return "\n".join(out) + "\n"
