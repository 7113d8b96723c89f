"""From names and argument strings to adapters and judges: parsed, validated, then built.

One path for every command that builds a model adapter or a judge (runs, ``judge-check``, ``ablate``):
:func:`resolve` looks the name up in its registry, lays a preset's defaults under the user's arguments and
validates every value against the class's annotated ``__init__`` (see :mod:`scine_eval.contracts.arguments`)
without building anything; :meth:`Component.build` then builds it. A run resolves its model and its judge
before building either, because building may load weights and a typo in one must not cost the other.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from scine_eval.errors import ConfigError, MissingDependencyError, UnknownNameError
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


@dataclass(frozen=True)
class Component(Generic[T]):
    """A registered class with validated arguments, not built yet."""

    kind: str
    """``model`` or ``judge`` (what messages call it)."""
    name: str
    cls: type[T]
    args: dict[str, Any]
    """The arguments as given (a preset's defaults under the user's), flat and JSON-able: what results record."""
    kwargs: dict[str, Any]
    """Keyword arguments for ``cls``: validated, option groups already built."""
    label: str = ""
    """What the user wrote, when it is more than the name (``ablate``'s ``NAME:key=value``)."""

    def build(self) -> T:
        """``cls(**args)``; a ``ValueError`` from the class becomes a :class:`ConfigError` naming it."""
        try:
            return self.cls(**self.kwargs)
        except (ConfigError, MissingDependencyError):
            raise
        except ValueError as error:
            raise ConfigError(f"{self.kind} {self.label or self.name!r}: {error}") from error


def resolve(registry: Registry[Any], name: str, text: str | Mapping[str, Any] | None, label: str = "") -> Component:
    """The class registered as ``name`` and its arguments (preset defaults, then ``text``), all checked."""
    try:
        cls = registry.get(name)
    except UnknownNameError as error:
        if registry.kind != "model":
            raise
        raise ConfigError(
            f"{error} 'scine-eval models' lists the adapters and presets; videos you already have run with "
            "--model cached --model_args path=DIR"
        ) from None
    args = {**registry.preset_args(name), **parse_arg_string(text)}
    return Component(registry.kind, name, cls, args, bind_arguments(registry.kind, label or name, cls, args), label)


def instantiate(kind: str, name: str, cls: type[T], args: Mapping[str, Any]) -> T:
    """Checks ``args`` against ``cls`` and builds it (for callers that already hold the class)."""
    return Component(kind, name, cls, dict(args), bind_arguments(kind, name, cls, args)).build()


def bind_arguments(kind: str, name: str, cls: type, args: Mapping[str, Any]) -> dict[str, Any]:
    """Validates ``args`` against ``cls.__init__`` and builds its option groups.

    A parameter annotated with a dataclass is an option group: its fields are accepted flat (``dtype=...``,
    when no plain parameter has that name) or dotted (``load.dtype=...``), and the group is built from its
    default with those fields replaced. Every other value is validated against its annotation.

    Raises:
        ConfigError: an unknown or missing argument (naming the valid ones), or a value its annotation
            rejects (naming the argument, the value and what is valid).
    """
    signature = inspect.signature(cls).parameters.values()
    parameters = {p.name: p for p in signature if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature)
    hints = _hints(cls.__init__)
    groups = {p: group for p in parameters if (group := _group_class(hints.get(p)))}
    owner = {f.name: group for group, gcls in groups.items() for f in dataclasses.fields(gcls)}
    plain: dict[str, Any] = {}
    grouped: dict[str, dict[str, Any]] = {group: {} for group in groups}
    for key, value in args.items():
        group, _, field_name = key.partition(".")
        if field_name and group in groups:
            grouped[group][field_name] = value
        elif key in parameters and key not in groups:
            plain[key] = value
        elif key in owner and key not in parameters:
            grouped[owner[key]][key] = value
        elif takes_any and key not in groups:
            plain[key] = value
        else:
            valid = [p for p in parameters if p not in groups] + [f for f in owner if f not in parameters] or ["none"]
            raise ConfigError(f"{kind} {name!r} takes no argument {key!r}; valid arguments: {', '.join(valid)}")
    out = {key: _check(kind, name, key, hints.get(key), value) for key, value in plain.items()}
    for group, values in grouped.items():
        if values:
            out[group] = _build_group(kind, name, groups[group], parameters[group].default, values)
    missing = [p for p in parameters if parameters[p].default is inspect.Parameter.empty and p not in out]
    if missing:
        raise ConfigError(f"{kind} {name!r} needs the argument {missing[0]!r} (e.g. {missing[0]}=...)")
    return out


def _hints(function: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function, include_extras=True)
    except Exception:  # an annotation that cannot be resolved is not checked, rather than refusing the class
        return {}


def _group_class(hint: Any) -> type | None:
    """The dataclass an option-group parameter is annotated with (``X`` or ``X | None``), else None."""
    candidates = [hint, *typing.get_args(hint)] if hint is not None else []
    return next((c for c in candidates if isinstance(c, type) and dataclasses.is_dataclass(c)), None)


def _check(kind: str, name: str, key: str, hint: Any, value: Any) -> Any:
    """``value`` validated against ``hint`` (returned as pydantic parsed it); unannotated values pass as they are."""
    if hint is None or hint is Any:
        return value
    from pydantic import ConfigDict, TypeAdapter, ValidationError

    try:
        # Numbers become strings where a string is asked for: parse_arg_string read "revision=2024" as an int.
        return TypeAdapter(hint, config=ConfigDict(coerce_numbers_to_str=True)).validate_python(value)
    except ValidationError as error:
        problems = "; ".join(_plain(e) for e in error.errors())
        raise ConfigError(f"{kind} {name!r}: {key}={value!r} is not valid: {problems}") from None
    except Exception:  # a type pydantic cannot check (an arbitrary class): the class checks it itself
        return value


def _plain(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    return message[0].lower() + message[1:] + (" (true or false)" if error["type"].startswith("bool") else "")


def _build_group(kind: str, name: str, cls: type, default: Any, values: Mapping[str, Any]) -> Any:
    hints = _hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{kind} {name!r} takes no argument {unknown[0]!r}; valid: {', '.join(sorted(known))}")
    checked = {key: _check(kind, name, key, hints.get(key), value) for key, value in values.items()}
    try:
        if dataclasses.is_dataclass(default) and not isinstance(default, type):
            return dataclasses.replace(default, **checked)
        return cls(**checked)
    except ConfigError as error:
        raise ConfigError(f"{kind} {name!r}: {error}") from None
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{kind} {name!r}: {error}") from None


# A ":" starts the arguments only when "key=" follows; otherwise it belongs to the name ("module:Class").
_ARGS_START = re.compile(r"\s*(?:[A-Za-z_]\w*\s*=|$)")


def resolve_spec(registry: Registry[Any], text: str, where: str) -> Component:
    """Splits ``NAME`` or ``NAME:key=value,...`` and resolves the class and its arguments (``--judges``, ``--metrics``).

    The name may itself hold a colon (``mypkg.judges:MyJudge:threshold=2``): the arguments start at the
    first colon followed by ``key=``. Unknown names and bad arguments raise the registry's own errors.
    """
    label = text.strip()
    name, arg_text = label, ""
    for match in re.finditer(":", label):
        if _ARGS_START.match(label, match.end()):
            name, arg_text = label[: match.start()].strip(), label[match.end() :]
            break
    if not name:
        raise ConfigError(f"{label!r} names no {registry.kind}; write NAME or NAME:key=value,key=value", where=where)
    return resolve(registry, name, arg_text, label=label)
