"""The ``modules`` list (the executable, then each file the process mapped)
and the module id a stack frame names: one numbering for both."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dapcore.engine import Engine


def module_list(rep: Engine) -> list[dict[str, Any]]:
    """The ``modules`` body's entries, numbered from 1 (the executable)."""
    exe = rep.executable_path
    mods: list[dict[str, Any]] = [{
        "id": 1, "name": os.path.basename(exe), "path": exe,
        "version": rep.go_version or "unknown", "isUserCode": True,
        "symbolStatus": _symbol_status(rep),
        "addressRange": f"{rep.bias:#x}" if rep.bias else "0x0"}]
    dwarf = rep.dwarf_path
    if dwarf is not None and dwarf != exe:
        mods[0]["symbolFilePath"] = dwarf
    seen = {exe}
    for f in rep.mapped_files():
        if f.path in seen or not f.path.startswith("/") or "(deleted)" in f.path:
            continue
        seen.add(f.path)
        mods.append({"id": len(mods) + 1, "name": os.path.basename(f.path),
                     "path": f.path, "isUserCode": False,
                     "addressRange": f"{f.start:#x}"})
    return mods


def module_id(rep: Engine, object_name: str) -> int | None:
    """The id :func:`module_list` gives the ELF object a C frame names by
    its base name (the executable: 1); None when no module has that name."""
    if object_name == os.path.basename(rep.executable_path):
        return 1
    return next((m["id"] for m in module_list(rep) if m["name"] == object_name), None)


def _symbol_status(rep: Engine) -> str:
    """The executable's symbol status: where its DWARF is, or that there is none."""
    if rep.debug_info_source is not None:
        return "DWARF from a separate debug file"
    return "DWARF" if rep.has_dwarf else "line tables only (no DWARF)"
