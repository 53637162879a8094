"""The Go value model: values read from a core, lazily, and the variables
of frames and packages they come from.

Lowest first (each module imports only modules listed before it):

* ``types`` (Go types from DWARF), ``format`` (Go notation for numbers and
  strings), ``closures`` (where closures keep their captured variables);
* ``framevars``: the variables of a frame as the DWARF describes them;
* ``values``: :class:`Value` (data and raw reads only) and the context
  values of one process share;
* per kind: ``composite`` (struct fields, array and slice elements, a
  pointer's target), ``maps``, ``chans``, ``ifaces``, ``funcs``,
  ``special`` (time.Time, sync.Mutex), ``methods`` (method sets, for type
  assertions);
* ``summary`` (``text_of``: one line in Go notation) and ``children``
  (a value's children, page by page): they dispatch over the kinds;
* ``pkgvars`` (package variables), ``frameregs`` (a frame's registers),
  ``frame`` (a frame's values, and the names an expression in it sees).
"""
