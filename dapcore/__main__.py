"""``python -m dapcore``: with no arguments (or only ``--listen``/``--log``
options) it serves DAP, as editors run it; otherwise the command line."""

import sys

_DAP_OPTIONS = ("--listen", "--log")


def _main() -> int:
    argv = sys.argv[1:]
    # Only the front end asked for is imported: an editor waits for the
    # server's first answer (start-up time, issue #16). What editors run
    # answers 'initialize' before the server itself is imported.
    if not argv or argv == ["dap"]:
        from dapcore.dap.handshake import main as serve_stdio

        return serve_stdio()
    if argv[0].split("=", 1)[0] in _DAP_OPTIONS:
        from dapcore.dap.server import main as dap_main

        return dap_main(argv)
    from dapcore.cli import main

    return main(argv)


sys.exit(_main())
