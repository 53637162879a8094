"""The numbers of dapcore's DAP error messages: the ``id`` of the
``Message`` in an error response's ``body.error``. Clients may key on them
(the text may change between versions; the numbers do not)."""

from __future__ import annotations

from enum import IntEnum


class ErrorId(IntEnum):
    REQUEST_FAILED = 1000  # a request that cannot be answered, no more specific id
    NO_CORE = 1001  # no core is open (no launch yet, or the launch failed)
    LAUNCH_FAILED = 1002  # launch/attach could not open the files
    BAD_MESSAGE = 1003  # not a request, or input that could not be decoded
    UNKNOWN_REQUEST = 1004  # a command dapcore does not implement
    BAD_ARGUMENTS = 1005  # a missing argument, or one of the wrong type or range
    CANNOT_RESUME = 1006  # continue, step …: a core file cannot run
    NOT_FOUND = 1007  # no such thread, frame, variables or source reference, or source
    EVALUATION_FAILED = 1008  # an expression or console command that cannot be evaluated
    CORE_UNREADABLE = 1009  # the engine could not read what was asked (damage, no DWARF …)
    CANCELLED = 1010  # the client cancelled the request
    INTERNAL = 1011  # a bug in dapcore
