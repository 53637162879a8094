"""What blocks what, over DAP (issue #17): the custom request
``dapcore/blocking`` (channels and sync objects with their waiters and
holders, deadlock cycles: ``dapcore blocking --json``'s data) and the debug
console's ``blocking`` command. The analysis runs once per session in the
engine's worker thread (cancellable) and is kept: a core does not change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dapcore.dap.state import Reply, State
from dapcore.triage.blockingtext import blocking_json, blocking_text
from dapcore.triage.records import BlockingReport

if TYPE_CHECKING:
    from dapcore.engine import Engine

__all__ = ["blocking_command", "on_blocking", "session_blocking"]


def session_blocking(s: State, rep: Engine) -> BlockingReport:
    """The session's analysis (engine thread only), made on first use; a
    cancelled one leaves nothing behind."""
    if s.blocking is None:
        s.blocking = rep.blocking()
    return s.blocking


def blocking_command(s: State, rep: Engine, words: list[str]) -> str:
    """The console's ``blocking``: ``dapcore blocking``'s text."""
    return blocking_text(session_blocking(s, rep))


async def on_blocking(s: State, args: dict[str, Any]) -> Reply:
    """``dapcore/blocking`` (no arguments) → ``{channels, objects, cycles,
    forever, limits, problems}``, as ``dapcore blocking --json`` prints it."""
    rep = await s.loaded()
    return Reply(await s.run(lambda: blocking_json(session_blocking(s, rep))))
