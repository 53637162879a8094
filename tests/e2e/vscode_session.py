"""A real VS Code to drive: code-server 4.100.3 serving VS Code to headless
Chromium, driven by puppeteer-core (``tests/e2e/vscode/drive.js``), with the
extension packaged from this tree. Shared by ``tests/test_e2e_vscode.py``
(which asserts on what the UI shows) and ``benchmarks/bench_vscode.py``
(which times it). A step that fails raises :class:`HarnessError` with what
went wrong; the tests turn it into a failure, never a skip."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.factory.paths import cache_root

REPO = Path(__file__).resolve().parent.parent.parent
E2E = REPO / "tests" / "e2e" / "vscode"
EXT = REPO / "vscode-extension"
CHROMIUM = "/usr/bin/chromium"

# code-server's User settings: no start-up editor, tips, experiments,
# telemetry, updates or marketplace traffic; the interpreter that runs
# dapcore comes from gocore.pythonPath.
SETTINGS: dict[str, Any] = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "workbench.welcomePage.walkthroughs.openOnInstall": False,
    "extensions.ignoreRecommendations": True,
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "security.workspace.trust.enabled": False,
    "window.restoreWindows": "none",
    "files.hotExit": "off",
    "git.enabled": False,
    "chat.disableAIFeatures": True,
}


class HarnessError(Exception):
    """A tool is missing, or code-server or drive.js failed: the message says which."""


def install_tools() -> dict[str, Path]:
    """Runs install.sh (idempotent, about a second when everything is
    there) and returns the tools' paths."""
    for tool in ("node", "npm", "bash"):
        if shutil.which(tool) is None:
            raise HarnessError(f"{tool} is not installed: the VS Code end-to-end runs need "
                               "Node 20 and npm")
    started = time.monotonic()
    done = subprocess.run(["bash", str(E2E / "install.sh")], capture_output=True, text=True,
                          timeout=1800)
    if done.returncode != 0:
        raise HarnessError("tests/e2e/vscode/install.sh failed (it installs chromium, "
                           f"code-server and puppeteer-core):\n{done.stdout}\n{done.stderr}")
    print(f"e2e install check: {time.monotonic() - started:.1f} s")
    prefix = cache_root() / "e2e" / "node"
    found = {
        "node": Path(shutil.which("node") or "node"),
        "code_server": prefix / "node_modules" / "code-server" / "out" / "node" / "entry.js",
        "node_modules": prefix / "node_modules",
        "chromium": Path(CHROMIUM),
    }
    for name, path in found.items():
        if not path.exists():
            raise HarnessError(f"{name} not found at {path} after tests/e2e/vscode/install.sh")
    return found


def package_vsix(out: Path) -> Path:
    """The extension of this tree, packaged by vscode-extension/package.sh."""
    done = subprocess.run(["sh", str(EXT / "package.sh"), str(out)], capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0 or not out.is_file():
        raise HarnessError(f"vscode-extension/package.sh failed:\n{done.stdout}\n{done.stderr}")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CodeServer:
    """A running code-server: its port, User data folder and root folder."""

    def __init__(self, port: int, user_data: Path, root: Path) -> None:
        self.port = port
        self.user_data = user_data
        self.root = root

    def url(self, folder: Path) -> str:
        return f"http://127.0.0.1:{self.port}/?folder={folder}"

    def logs(self) -> Path:
        """VS Code's log folder (window, extension host, output channels)."""
        return self.user_data / "logs"


@contextmanager
def code_server(tools: dict[str, Path], vsix: Path, root: Path,
                settings: dict[str, Any] | None = None) -> Iterator[CodeServer]:
    """code-server with the extension installed into a private extensions
    folder under ``root``, ``gocore.pythonPath`` set to this interpreter in
    the *User* settings (plus ``settings``); ended with its process group."""
    extensions, user_data = root / "extensions", root / "user-data"
    (user_data / "User").mkdir(parents=True)
    merged = {"gocore.pythonPath": sys.executable, **SETTINGS, **(settings or {})}
    (user_data / "User" / "settings.json").write_text(json.dumps(merged, indent=2))
    closed = free_port()  # nothing listens there: no marketplace traffic
    gallery = {"serviceUrl": f"http://127.0.0.1:{closed}/api",
               "itemUrl": f"http://127.0.0.1:{closed}/item",
               "resourceUrlTemplate": f"http://127.0.0.1:{closed}/res/{{publisher}}/{{name}}"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VSCODE_", "ELECTRON_"))}
    env.update(EXTENSIONS_GALLERY=json.dumps(gallery), HOME=str(root / "home"))
    (root / "home").mkdir()
    cs = [str(tools["node"]), str(tools["code_server"])]
    dirs = ["--extensions-dir", str(extensions), "--user-data-dir", str(user_data)]
    done = subprocess.run([*cs, *dirs, "--install-extension", str(vsix)], cwd="/", env=env,
                          capture_output=True, text=True, timeout=180)
    if done.returncode != 0 or not list(extensions.glob("dapcore.gocore-*")):
        raise HarnessError(f"code-server --install-extension failed:\n{done.stdout}\n"
                           f"{done.stderr}")
    port = free_port()
    log = (root / "code-server.log").open("w")
    proc = subprocess.Popen(
        [*cs, "--bind-addr", f"127.0.0.1:{port}", "--auth", "none", "--disable-telemetry",
         "--disable-update-check", "--disable-workspace-trust", *dirs, str(root)],
        cwd="/", env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise HarnessError("code-server did not start:\n"
                                       f"{(root / 'code-server.log').read_text()}") from None
                time.sleep(0.3)
        yield CodeServer(port, user_data, root)
    finally:
        _end_group(proc)
        log.close()


def _end_group(proc: subprocess.Popen[bytes]) -> None:
    """code-server and its children (extension host, file watchers): one
    process group, ended by its id."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if not _group_alive(proc.pid):
            break
        time.sleep(0.5)
        if not _group_alive(proc.pid):
            break


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def workspace(root: Path, launch: dict[str, Any]) -> Path:
    """A folder ``root/ws`` whose .vscode/launch.json holds ``launch``."""
    ws = root / "ws"
    (ws / ".vscode").mkdir(parents=True)
    (ws / ".vscode" / "launch.json").write_text(json.dumps(
        {"version": "0.2.0", "configurations": [launch]}, indent=2))
    return ws


def drive(tools: dict[str, Path], server: CodeServer, folder: Path, scenario: str,
          artifacts: Path, timeout: float = 240, **extra: Any) -> dict[str, Any]:
    """Runs drive.js's ``scenario`` on ``folder`` and returns its result (a
    failed step is the result's ``error``, with ``lastSnapshot``); its log
    is kept as ``artifacts/drive.log``."""
    config = {"scenario": scenario, "url": server.url(folder), "chromium": str(tools["chromium"]),
              "artifacts": str(artifacts), "browserProfile": str(artifacts / "chromium-profile"),
              **extra}
    cfg = artifacts / "drive.json"
    cfg.write_text(json.dumps(config))
    env = dict(os.environ, NODE_PATH=str(tools["node_modules"]))
    done = subprocess.run([str(tools["node"]), str(E2E / "drive.js"), str(cfg)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    shutil.rmtree(artifacts / "chromium-profile", ignore_errors=True)
    (artifacts / "drive.log").write_text(done.stderr)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise HarnessError(f"drive.js printed no result (exit {done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(lines[-1])
    (artifacts / "result.json").write_text(json.dumps(result, indent=2))
    return result
