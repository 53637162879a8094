"""ELF files: ``core`` (a core's program headers and notes — threads and
their registers, auxv, mapped files, siginfo), ``executable`` (sections and
symbols of the program), ``memory`` (the process's address space: the
core's segments, then the files ``NT_FILE`` names, then the executable
shifted by the PIE bias), ``files`` (opening only regular files, never
blocking on a FIFO or a device)."""
