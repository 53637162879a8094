"""Command-line options of the DAP server, importable without the server
(and without anyio), so the other subcommands start fast."""

from __future__ import annotations

import argparse

__all__ = ["REMOTE_WARNING", "add_arguments", "is_loopback", "parse_listen"]

REMOTE_WARNING = ("dapcore: warning: listening beyond loopback on {where}: anyone who can "
                  "reach this port can read the core's memory (secrets included) and the "
                  "program's source files, without authentication")


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"bad port in {text!r}: expected HOST:PORT")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (a name
    that does not resolve counts as not loopback)."""
    import ipaddress
    import socket

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(str(i[4][0]).split("%")[0]).is_loopback
                               for i in infos)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--listen", metavar="HOST:PORT", type=parse_listen,
                   help="serve DAP over TCP (loopback by default; port 0 picks one) "
                        "instead of stdio")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow --listen on an address other than loopback: anyone who can "
                        "reach the port can then read the core's memory and the sources")
    p.add_argument("--log", metavar="FILE", help="write the log here instead of stderr")
    p.add_argument("--log-level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log detail")
