"""The Debug Adapter Protocol server: editors open a Go core and land on the
crashing line.

Modules: ``framing`` (Content-Length framing, bad input as values),
``handshake`` (the stdio server's first exchange: ``initialize`` answered
before anyio is imported), ``start`` (where the server takes over from it),
``greeting`` (the capabilities), ``messages`` (the shapes of responses and
events), ``server`` (anyio; stdio or ``--listen HOST:PORT``), ``session`` (decoding,
dispatching and answering requests), ``state`` (what the handlers share:
the session's typed state, sending, the engine in a worker thread), the
handlers ``lifecycle`` (initialize, launch, configurationDone, the stop,
disconnect …) and ``inspection`` (threads, stackTrace, scopes, variables,
evaluate, source, modules, memory …), ``config`` (the launch arguments),
``launch`` (opening the files), ``errorids`` (the numbers of error
messages), ``args`` (checked arguments), ``handles`` (int32 id tables),
``threads``, ``stack`` + ``frames`` (which frames are shown, folded,
de-emphasised), ``exceptions`` (stopped event, exceptionInfo, summary),
``source`` (where the binary's files are here, and which may be served),
``disasm`` (annotated disassembly when a file is missing), ``memory``
(readMemory, disassemble), ``repl`` (debug-console commands),
``groups`` (the custom requests ``dapcore/goroutineGroups`` and
``dapcore/focusGoroutine``, the session's cache of goroutine groups) and
``groupconsole`` (the console's ``groups``, ``group ID``, ``leaks``),
``variables`` (scopes, variables, evaluate: the seam for values), and
``client`` (a DAP client: ``dapcore demo``, the benchmarks and the tests).

The handlers reach the core only through :class:`dapcore.engine.Engine`
(and the value model); the engine itself is imported when a launch opens
a core, not when the server starts.

Launch/attach attributes (Delve's names; unknown ones are ignored):
``program`` (optional when the core names an existing executable),
``coreFilePath``, ``cwd``, ``substitutePath`` ``[{from, to}]``,
``hideSystemGoroutines``, ``stackTraceDepth``, ``showRegisters``,
``showGlobalVariables``, ``maxStringLen``, ``maxArrayValues``,
``showCrashFrames`` (dapcore's own: do not fold the runtime's
crash-handling frames into one label frame) and ``debugInfoDirectories``
(dapcore's own: where a stripped program's separate debug file is).
"""
