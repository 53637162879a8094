"""Native (C) code of a cgo process: ``objects`` (the executable and the
shared libraries ``NT_FILE`` names, checked by GNU build id, with their
call frame information and symbols), ``clines`` (file and line of the
executable's C code from its C units' line programs), ``unwind`` (C frames
walked with CFI until Go code resumes)."""
