"""``--model_args`` / ``--judge_args`` strings, and building a registered class from them."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, TypeVar

from scine_eval.errors import ConfigError
from scine_eval.registry import Registry

T = TypeVar("T")


def parse_arg_string(text: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """Parses ``"k=v,k2=v2"`` into a dict, turning ints, floats, booleans and None into Python values.

    A mapping (from a config file) is returned as a dict unchanged.
    """
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return dict(text)
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{part!r} is not key=value (write e.g. 'path=videos,seed=0')")
        out[key.strip()] = _coerce(value.strip())
    return out


def _coerce(value: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def arguments_for(registry: Registry[Any], name: str, text: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The arguments to build ``name`` with: its preset's defaults (if it is a preset), then ``text`` over them."""
    return {**registry.preset_args(name), **parse_arg_string(text)}


def instantiate(kind: str, name: str, cls: type[T], args: Mapping[str, Any]) -> T:
    """Builds ``cls(**args)``; an argument the class does not take is named with the valid ones."""
    parameters = inspect.signature(cls).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    if not takes_any:
        unknown = sorted(set(args) - set(parameters))
        if unknown:
            valid = ", ".join(p for p in parameters if p not in ("self",)) or "none"
            raise ConfigError(f"{kind} {name!r} takes no argument {unknown[0]!r}; valid arguments: {valid}")
    missing = [
        p.name
        for p in parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.name not in args
    ]
    if missing:
        raise ConfigError(f"{kind} {name!r} needs the argument {missing[0]!r} (e.g. {missing[0]}=...)")
    return cls(**args)
