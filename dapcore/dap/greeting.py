"""The answer to ``initialize``: the capabilities dapcore announces. One
source for the session's handler (:func:`dapcore.dap.lifecycle.on_initialize`)
and for the stdio server's first exchange, answered before anyio and the
session are imported (:mod:`dapcore.dap.handshake`, issue #16)."""

from __future__ import annotations

from dapcore.dap.args import optional

CAPABILITIES: dict[str, object] = {
    "supportsConfigurationDoneRequest": True,
    "supportsExceptionInfoRequest": True,
    "supportsCancelRequest": True,
    "supportsTerminateRequest": True,
    "supportsDelayedStackTraceLoading": True,
    "supportsModulesRequest": True,
    "supportsLoadedSourcesRequest": True,
    "supportsReadMemoryRequest": True,
    "supportsDisassembleRequest": True,
    "supportsEvaluateForHovers": True,
    "supportsValueFormattingOptions": True,
    "supportsClipboardContext": True,
}


def initialize_body(args: dict[str, object]) -> dict[str, object]:
    """The ``initialize`` response's body for the request's (checked)
    ``args``; raises :class:`dapcore.dap.args.RequestError` for arguments it
    cannot take. The client's ``initialized`` event follows the response."""
    optional(args, "adapterID", str, None)
    return dict(CAPABILITIES)
