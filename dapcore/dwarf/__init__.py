"""DWARF 4 and 5, read lazily and only as far as a question needs.

Lowest first: ``leb128`` (the project's one varint decoder: Go's varints
are unsigned LEB128 too), ``constants``, ``sections`` (compressed or not),
``dies`` (units, abbreviations, DIEs), ``lists`` (addresses, ranges and
location lists), ``lines`` (line programs), ``pcindex`` (which subprogram
holds a PC), ``names`` (DIEs found by name without walking every unit),
``types``, ``reader`` (:class:`Dwarf`, the facade over them), ``location``
(location expressions: an opcode table); ``cfi`` (call frame information of
``.eh_frame`` and ``.debug_frame``, for C frames)."""
