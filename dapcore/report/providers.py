"""The sections other parts of dapcore provide: goroutine groups, the leak
summary and what blocks what (issue #17's capabilities 1–3).

>>> STUB <<< They are built by the grouping and blocking analyses
(``dapcore/triage/groups.py``: ``Engine.goroutine_groups``;
``dapcore/triage/blocking.py``: ``Engine.blocking``), which are not part of
this build. Each provider below returns its section as "not available in
this build"; to plug one in, make it return a :class:`Section` whose
``data`` follows the generic shape the renderers show (``docs/report-schema.md``):

* ``summary``: one paragraph of text;
* ``rows``: a list of flat objects (strings and numbers) shown as a table,
  columns in the order of the first row's keys;
* ``text``: lines shown as preformatted text (stacks).

A provider gets the engine and whether the report is redacted (values such
as channel element texts must then be left out), and must not raise for a
damaged core: put the reason in ``Section.reason`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dapcore.report.model import Section

if TYPE_CHECKING:
    from dapcore.engine import Engine

__all__ = ["PROVIDERS", "Provider"]

Provider = Callable[["Engine", bool], Section]

NOT_IN_BUILD = "not available in this build"


def groups_section(engine: Engine, redact: bool) -> Section:
    """STUB: goroutines with the same stack, with counts (Engine.goroutine_groups)."""
    return Section("groups", "Goroutine groups", reason=NOT_IN_BUILD)


def leaks_section(engine: Engine, redact: bool) -> Section:
    """STUB: groups ranked by count and time waiting, per creation site."""
    return Section("leaks", "Leak summary", reason=NOT_IN_BUILD)


def blocking_section(engine: Engine, redact: bool) -> Section:
    """STUB: goroutines blocked on channels and sync objects, by object (Engine.blocking)."""
    return Section("blocking", "What blocks what", reason=NOT_IN_BUILD)


# The order they appear in the report (after the engine's own sections).
PROVIDERS: dict[str, Provider] = {
    "groups": groups_section,
    "leaks": leaks_section,
    "blocking": blocking_section,
}
