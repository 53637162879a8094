"""``readMemory`` and ``disassemble``: bytes and instructions of the dead process."""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Any

from dapcore.errors import UnreadableMemory

if TYPE_CHECKING:
    from dapcore.engine import Engine

MAX_READ = 16 * 1024 * 1024


def parse_reference(ref: str) -> int:
    """A memory reference as dapcore hands them out: a hex (or decimal) address."""
    text = ref.strip().lower()
    try:
        return int(text, 16) if text.startswith("0x") else int(text, 0)
    except ValueError:
        raise ValueError(f"not a memory reference: {ref!r}") from None


def read_memory(engine: Engine, addr: int, count: int) -> dict[str, Any]:
    """The readable prefix of ``[addr, addr+count)``, base64; the rest is reported
    as unreadable."""
    count = min(count, MAX_READ)
    if addr < 0 or addr >= 1 << 64:
        return {"address": f"{addr:#x}", "unreadableBytes": count}
    try:
        data = engine.read_memory(addr, count)
    except UnreadableMemory as exc:
        good = max(0, min(count, exc.addr - addr)) if exc.addr >= addr else 0
        try:
            data = engine.read_memory(addr, good) if good else b""
        except UnreadableMemory:
            data = b""
    body: dict[str, Any] = {"address": f"{addr:#x}", "data": base64.b64encode(data).decode()}
    if len(data) < count:
        body["unreadableBytes"] = count - len(data)
    return body


def _function_insns(engine: Engine, pc: int) -> list[Any]:
    f = engine.function_at(pc)
    if f is None:
        return []
    start = f.start
    try:
        code = engine.read_memory(start, f.end - f.start)
    except UnreadableMemory:
        return []
    return list(engine.disassembler().disasm(code, start))


def disassemble(engine: Engine, addr: int, instruction_offset: int, count: int,
                resolve_symbols: bool) -> list[dict[str, Any]]:
    """``count`` instructions starting ``instruction_offset`` instructions from
    the one at ``addr`` (within the function holding it; outside a function
    the slots are filled with invalid entries, as the protocol asks)."""
    insns = _function_insns(engine, addr)
    index = next((i for i, ins in enumerate(insns) if ins.address <= addr
                  < ins.address + ins.size), None)
    out: list[dict[str, Any]] = []
    last_loc: tuple[str, int] | None = None
    for k in range(count):
        i = None if index is None else index + instruction_offset + k
        if i is None or not 0 <= i < len(insns):
            out.append({"address": f"{addr:#x}" if i is None else "0x0",
                        "instruction": "??", "presentationHint": "invalid"})
            continue
        ins = insns[i]
        entry: dict[str, Any] = {"address": f"{ins.address:#x}",
                                 "instructionBytes": ins.bytes.hex(" "),
                                 "instruction": f"{ins.mnemonic} {ins.op_str}".strip()}
        f = engine.function_at(ins.address)
        if f is not None:
            if resolve_symbols and ins.address == f.start:
                entry["symbol"] = engine.print_name(f.name)
            file, line = engine.line_at(ins.address)
            if file != "?" and (file, line) != last_loc:
                entry["location"] = {"name": os.path.basename(file), "path": file}
                entry["line"] = line
                last_loc = (file, line)
        out.append(entry)
    return out
