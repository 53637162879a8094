"""A DAP relay that timestamps every message between an editor and its adapter.

Usage: ``python dap_relay.py LOG -- ADAPTER ARGV…``. Runs the adapter,
copies the editor's stdin to it and its stdout back unchanged, and appends
one JSON line per message to LOG: ``{"t": epoch ms, "dir": "->" (editor to
adapter) or "<-", "bytes": body length, "type", "command"/"event", "seq",
"request_seq"}`` (read from the message's first bytes: a 7 MB answer is not
parsed). Used by ``bench_vscode.py --trace`` to see where VS Code's time
goes; the copy costs a few ms per megabyte."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from typing import IO, Any

_FIELD = re.compile(rb'"(type|command|event|seq|request_seq)"\s*:\s*("[^"]*"|\d+)')


def _summary(body: bytes) -> dict[str, Any]:
    head = body[:400]
    out: dict[str, Any] = {}
    for m in _FIELD.finditer(head):
        key = m.group(1).decode()
        if key not in out:
            raw = m.group(2).decode()
            out[key] = raw.strip('"') if raw.startswith('"') else int(raw)
    return out


def pump(src: IO[bytes], dst: IO[bytes], direction: str, log: IO[str],
         lock: threading.Lock) -> None:
    """Copies framed messages from src to dst, logging each one."""
    while True:
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            byte = src.read(1)
            if not byte:
                dst.close()
                return
            header += byte
        m = re.search(rb"Content-Length:\s*(\d+)", header, re.I)
        length = int(m.group(1)) if m else 0
        body = src.read(length)
        started = time.time()
        dst.write(header + body)
        dst.flush()
        entry = {"t": round(started * 1000, 1), "dir": direction, "bytes": len(body),
                 **_summary(body)}
        with lock:
            log.write(json.dumps(entry) + "\n")
            log.flush()


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: dap_relay.py LOG -- ADAPTER ARGV…", file=sys.stderr)
        return 2
    log = open(argv[0], "a")  # open for the relay's life
    lock = threading.Lock()
    child = subprocess.Popen(argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    up = threading.Thread(target=pump, args=(sys.stdin.buffer, child.stdin, "->", log, lock),
                          daemon=True)
    up.start()
    pump(child.stdout, sys.stdout.buffer, "<-", log, lock)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
