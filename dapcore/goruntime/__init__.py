"""The Go runtime's state in a core.

``layout`` (the runtime's structures, from DWARF or the generated
per-release ``layout_tables``), ``status`` and ``labels``, ``goroutines``
(``allgs`` and the Ms), ``process`` (:class:`Process`: a core opened with
its executable), ``checks`` (what was read against the kernel's and the
runtime's invariants), ``unwind`` (stacks by the runtime's own rules),
``rtype``, ``printval`` and ``errtext`` (type descriptors and the panic
value's text, as the runtime prints it), ``crash`` (why the process died),
``traceback`` (the runtime's traceback wording), ``userframe`` (which frame
a person wants to see first)."""
