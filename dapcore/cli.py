"""The ``dapcore`` command line."""

from __future__ import annotations

import argparse

from dapcore import __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dapcore`` console script."""
    parser = argparse.ArgumentParser(
        prog="dapcore",
        description="Debug Adapter Protocol server for Go core dumps (in development).",
    )
    parser.add_argument("--version", action="version", version=f"dapcore {__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0
