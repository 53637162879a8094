"""The report's model: named sections in a fixed order, each either filled
(``data``: plain JSON values) or not available (``reason``).

The JSON form (:func:`Report.to_json`) is what ``--format json`` prints and
what ``report-schema.json`` describes; the text and Markdown renderers read
the same dictionaries, so every format says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SCHEMA_VERSION", "SECTION_ORDER", "WARNING", "WARNING_REDACTED", "Report", "Section"]

SCHEMA_VERSION = 1

# Every report has these sections, in this order (a section that could not
# be made says why instead of being left out).
SECTION_ORDER: tuple[str, ...] = ("signature", "crash", "stack", "locals", "build", "process",
                                  "goroutines", "groups", "leaks", "blocking")

WARNING = ("A core holds all of the process's memory, secrets included (keys, tokens, "
           "passwords, customer data). This report quotes values read from it: strings, "
           "bytes and the command line. Review it before sharing, or make it with --redact.")
WARNING_REDACTED = ("A core holds all of the process's memory, secrets included. This report "
                    "is redacted: every string, []byte and unexported value, the command "
                    "line's arguments and user panic values are replaced by their type and "
                    "length. Function names, file paths, numbers and addresses remain.")


@dataclass(slots=True)
class Section:
    """One part of the report. ``key`` names it in the JSON and in
    :data:`SECTION_ORDER`; ``data`` holds plain JSON values (what each
    section holds: ``docs/report-schema.md``); ``reason``: why it is not
    available (``data`` is then empty)."""

    key: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None

    @property
    def available(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "available": self.available, "reason": self.reason,
                "data": self.data}


@dataclass(slots=True)
class Report:
    tool: str  # "dapcore 0.1.0"
    redacted: bool
    executable: str
    core: str
    sections: dict[str, Section] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what the engine found damaged

    @property
    def warning(self) -> str:
        return WARNING_REDACTED if self.redacted else WARNING

    def section(self, key: str) -> Section:
        return self.sections[key]

    def ordered(self) -> list[Section]:
        known = [self.sections[k] for k in SECTION_ORDER if k in self.sections]
        extra = [s for k, s in self.sections.items() if k not in SECTION_ORDER]
        return known + extra

    def to_json(self) -> dict[str, Any]:
        return {"schemaVersion": SCHEMA_VERSION, "tool": self.tool, "redacted": self.redacted,
                "warning": self.warning,
                "files": {"executable": self.executable, "core": self.core},
                "sections": {s.key: s.to_json() for s in self.ordered()},
                "warnings": list(self.warnings)}
