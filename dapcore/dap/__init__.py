"""The Debug Adapter Protocol server: editors open a Go core and land on the
crashing line.

Modules: ``framing`` (Content-Length framing, bad input as values),
``server`` (anyio; stdio or ``--listen HOST:PORT``), ``session`` (state and
request handlers), ``launch`` (arguments, opening the files), ``handles``
(int32 id tables), ``threads``, ``stack`` + ``frames`` (which frames are
shown, folded, de-emphasised), ``exceptions`` (stopped event, exceptionInfo,
summary), ``source`` (where the binary's files are here, and which may be
served), ``disasm`` (annotated disassembly when a file is missing),
``memory`` (readMemory, disassemble), ``repl`` (debug-console commands),
``variables`` (the seam for values).

Launch/attach attributes (Delve's names; unknown ones are ignored):
``program`` (optional when the core names an existing executable),
``coreFilePath``, ``cwd``, ``substitutePath`` ``[{from, to}]``,
``hideSystemGoroutines``, ``stackTraceDepth``, ``showRegisters``,
``showGlobalVariables``, ``maxStringLen``, ``maxArrayValues`` and
``showCrashFrames`` (dapcore's own: do not fold the runtime's
crash-handling frames into one label frame).
"""
