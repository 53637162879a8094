"""The message a user gets when a program was built by a Go release dapcore
does not read (a failed launch shows it once and ends the session)."""

from __future__ import annotations

from dapcore.errors import UnsupportedError
from dapcore.gobin.releases import OLDEST_READ, explain, release_of


def test_release_of() -> None:
    assert release_of("go1.15.3") == (1, 15)
    assert release_of("go1.27rc1") == (1, 27)
    assert release_of("devel +abc") is None


def test_old_release_is_named_first() -> None:
    detail = UnsupportedError("zoo: the DWARF of runtime.moduledata has no field pcHeader")
    got = explain("/srv/app", "go1.9.7", detail)
    text = str(got)
    assert isinstance(got, UnsupportedError)
    assert text.startswith("/srv/app was built with Go 1.9.7; dapcore reads Go "
                           f"{OLDEST_READ[0]}.{OLDEST_READ[1]} and newer")
    assert "pcHeader" in text  # the detail is kept, after


def test_supported_release_keeps_the_error() -> None:
    detail = UnsupportedError("something else")
    assert explain("/srv/app", "go1.27.3", detail) is detail
    assert explain("/srv/app", "", detail) is detail
