"""Where the index cache lives, and whether there is one.

``resolve(setting)``: ``False`` turns the cache off; a path names its
directory; ``None`` or ``True`` mean the default, which is
``$DAPCORE_INDEX_CACHE`` when set (a directory, or ``off``/``0``/``no``
to turn it off), else the platform's cache directory: ``$XDG_CACHE_HOME``
or ``~/.cache`` (Linux and other Unix), ``~/Library/Caches`` (macOS),
``%LOCALAPPDATA%`` (Windows), each followed by ``dapcore/index``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["DEFAULT_LIMIT", "ENV", "ENV_LIMIT", "IndexSetting", "limit_from_env", "resolve"]

ENV = "DAPCORE_INDEX_CACHE"
ENV_LIMIT = "DAPCORE_INDEX_CACHE_MB"  # the size bound, in MB
DEFAULT_LIMIT = 256 << 20
_OFF = {"", "0", "off", "no", "false", "none", "disabled"}

# What a front end passes: None/True (the default place), False (off), a directory.
IndexSetting = bool | str | os.PathLike[str] | None


def platform_cache_home() -> Path:
    """The user's cache directory on this platform."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return Path(local) if local else Path.home() / "AppData" / "Local"
    xdg = os.environ.get("XDG_CACHE_HOME")
    # XDG: a relative path in the variable is invalid and must be ignored
    return Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"


def resolve(setting: IndexSetting = None) -> Path | None:
    """The cache directory ``setting`` asks for (None: no cache)."""
    if setting is False:
        return None
    if setting is not None and setting is not True:
        text = os.fspath(setting)
        return None if text.strip().lower() in _OFF else Path(text).expanduser()
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in _OFF else Path(env).expanduser()
    try:
        return platform_cache_home() / "dapcore" / "index"
    except RuntimeError:  # no home directory to be found
        return None


def limit_from_env() -> int:
    """The size bound in bytes: ``$DAPCORE_INDEX_CACHE_MB`` or 256 MB."""
    text = os.environ.get(ENV_LIMIT, "").strip()
    try:
        mb = float(text) if text else None
    except ValueError:
        mb = None
    return DEFAULT_LIMIT if mb is None or mb < 0 else int(mb * (1 << 20))
