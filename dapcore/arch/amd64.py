"""x86-64 instruction facts the engine needs without a disassembler."""

from __future__ import annotations

__all__ = ["follows_call", "follows_syscall", "in_syscall"]


def in_syscall(regs: dict[str, int]) -> bool:
    """Whether a thread's registers (NT_PRSTATUS) were saved inside a system
    call: the kernel keeps the call's number in ``orig_rax`` (-1 otherwise)."""
    orig = regs.get("orig_rax", -1) & 0xFFFFFFFFFFFFFFFF
    return orig != 0xFFFFFFFFFFFFFFFF


def follows_syscall(code: bytes) -> bool:
    """Whether the two bytes before a thread's PC are a ``SYSCALL`` (0F 05),
    as they are when the thread stopped inside a system call (``int 0x80``
    and ``sysenter`` accepted too)."""
    return code[-2:] in (b"\x0f\x05", b"\xcd\x80", b"\x0f\x34")


def follows_call(code: bytes) -> bool:
    """Whether the bytes just before a return address end with a call.

    ``code`` holds the (up to 8) bytes that precede the address. A return
    address always follows a ``CALL``: ``E8 rel32`` or ``FF /2`` (through a
    register or memory, optionally with a REX prefix). A saved return
    address read from a damaged stack usually does not."""
    n = len(code)
    if n >= 5 and code[n - 5] == 0xE8:
        return True
    for k in range(2, min(n, 8) + 1):
        at = n - k
        if code[at] != 0xFF:
            continue
        if _ff2_length(code, at) == k:
            return True
    return False


def _ff2_length(code: bytes, at: int) -> int:
    """The length of an ``FF /2`` (CALL r/m64) instruction starting at
    ``code[at]`` (the REX prefix before it not counted), 0 if it is not one."""
    if at + 1 >= len(code):
        return 0
    modrm = code[at + 1]
    if (modrm >> 3) & 7 != 2:
        return 0
    mod, rm = modrm >> 6, modrm & 7
    length = 2
    if mod == 3:
        return length
    if rm == 4:  # a SIB byte follows
        if at + 2 >= len(code):
            return 0
        length += 1
        if mod == 0 and code[at + 2] & 7 == 5:
            length += 4
    elif mod == 0 and rm == 5:  # RIP-relative
        length += 4
    if mod == 1:
        length += 1
    elif mod == 2:
        length += 4
    return length
