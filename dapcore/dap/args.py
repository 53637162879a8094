"""Checked access to request arguments: a wrong type becomes an error
response with a readable message, never a traceback."""

from __future__ import annotations

from typing import Any, TypeVar

from dapcore.dap.errorids import ErrorId

T = TypeVar("T")

_TYPE_NAMES = {int: "an integer", str: "a string", bool: "a boolean", dict: "an object",
               list: "an array"}


class RequestError(Exception):
    """A request that cannot be answered; the message goes to the user,
    numbered ``error_id`` (:class:`dapcore.dap.errorids.ErrorId`)."""

    def __init__(self, message: str, *, show_user: bool = True,
                 error_id: ErrorId = ErrorId.REQUEST_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.show_user = show_user
        self.error_id = error_id


def bad_argument(message: str) -> RequestError:
    """A :class:`RequestError` for arguments the request cannot take."""
    return RequestError(message, error_id=ErrorId.BAD_ARGUMENTS)


def arguments(msg: dict[str, Any]) -> dict[str, Any]:
    args = msg.get("arguments", {})
    if args is None:
        return {}
    if not isinstance(args, dict):
        raise bad_argument("'arguments' must be an object")
    _check_text(args)
    return args


def _check_text(args: dict[str, Any]) -> None:
    """Refuse text with lone UTF-16 surrogates (JSON's ``"\ud800"``): no
    file name, expression or command can hold one, and no reply could
    carry it back as UTF-8."""
    todo: list[Any] = [args]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise bad_argument("the arguments hold text that is not valid Unicode (a lone "
                                   "UTF-16 surrogate such as \\ud800)") from None


def _is(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def required(args: dict[str, Any], name: str, kind: type[T]) -> T:
    if name not in args or args[name] is None:
        raise bad_argument(f"argument '{name}' is required")
    return optional(args, name, kind, None)  # type: ignore[return-value]


def optional(args: dict[str, Any], name: str, kind: type[T], default: T | None) -> T | None:
    value = args.get(name)
    if value is None:
        return default
    if not _is(value, kind):
        raise bad_argument(f"argument '{name}' must be {_TYPE_NAMES.get(kind, kind.__name__)}, "
                           f"not {type(value).__name__}")
    return value  # type: ignore[no-any-return]


def non_negative(args: dict[str, Any], name: str, default: int | None) -> int | None:
    value = optional(args, name, int, default)
    if value is not None and value < 0:
        raise bad_argument(f"argument '{name}' must not be negative")
    return value
