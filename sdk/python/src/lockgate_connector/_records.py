"""Records a connector builds (queries, new employees, outcomes) as
keyword-only dataclasses over the generated ones: optional fields default
to ``None``, lists to ``[]``. They subclass the generated record, so the
host receives exactly the contract's type and a field added to the WIT
shows up here without a change.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (list, typing.List)  # noqa: UP006


def with_defaults(generated: type, name: str, doc: str, **defaults: Any) -> type:
    """A keyword-only subclass of the generated record ``generated``."""
    fields: list[tuple[str, Any, Any]] = []
    for f in dataclasses.fields(generated):
        if f.name in defaults:
            fields.append((f.name, f.type, dataclasses.field(default=defaults.pop(f.name))))
        elif _is_optional(f.type):
            fields.append((f.name, f.type, dataclasses.field(default=None)))
        elif _is_list(f.type):
            fields.append((f.name, f.type, dataclasses.field(default_factory=list)))
        else:
            fields.append((f.name, f.type, dataclasses.field()))
    if defaults:
        raise TypeError(f"{generated.__name__} has no fields {sorted(defaults)}")
    cls = dataclasses.make_dataclass(name, fields, bases=(generated,), kw_only=True)
    cls.__doc__ = doc
    cls.__module__ = _caller_module()
    return cls


def _caller_module() -> str:
    import sys

    return sys._getframe(2).f_globals.get("__name__", __name__)
