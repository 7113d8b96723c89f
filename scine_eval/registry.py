"""One generic registry for models, judges and tasks.

Entries come from three doors, all equal once resolved:

* built-ins register themselves with a decorator in their own module; the registry imports every module
  of its built-in package the first time a name is looked up, so there is no second hand-written list;
* third-party plugins declare an entry point in the registry's group (``scine_eval.models``,
  ``scine_eval.judges``, ``scine_eval.tasks``), loaded only when that name is used;
* code may add a lazy ``"module:attribute"`` string with :meth:`Registry.add_lazy`.

Registering never imports heavy libraries: adapters and judges import torch and friends inside their
methods, so scanning the built-in package stays cheap.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from scine_eval.errors import ScineEvalError, UnknownNameError

T = TypeVar("T")


class RegistrationError(ScineEvalError):
    """A registration that breaks the registry's contract (wrong type, clashing name)."""


class Registry(Generic[T]):
    """Maps names and aliases to objects of one kind.

    Args:
        kind: what the entries are, used in messages ("model", "judge", "task").
        base: classes must subclass it, instances must be instances of it.
        entry_point_group: the entry-point group third-party packages register under.
        builtin_package: a package whose modules are imported on the first lookup so their decorators run.
    """

    def __init__(
        self,
        kind: str,
        base: type,
        entry_point_group: str | None = None,
        builtin_package: str | None = None,
    ):
        self.kind = kind
        self.base = base
        self.entry_point_group = entry_point_group
        self.builtin_package = builtin_package
        self._objects: dict[str, T] = {}
        self._lazy: dict[str, str | importlib.metadata.EntryPoint] = {}
        self._aliases: dict[str, str] = {}
        self._presets: dict[str, tuple[str, dict[str, Any]]] = {}
        self._discovered = False
        self._lock = threading.RLock()

    # -- registration -------------------------------------------------------------------------------

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        """Decorator that registers a class under ``name`` and its aliases, and sets its ``name``."""

        def decorator(obj: T) -> T:
            self.add(name, obj, aliases=aliases)
            if isinstance(obj, type):
                obj.name = name
            return obj

        return decorator

    def add(self, name: str, obj: T, aliases: tuple[str, ...] | list[str] = ()) -> None:
        """Registers ``obj`` now, checking it against the base class."""
        self._check(name, obj)
        with self._lock:
            current = self._objects.get(name)
            if current is not None and current is not obj:
                raise RegistrationError(
                    f"{self.kind} {name!r} is already registered to {_describe(current)}; "
                    f"cannot register {_describe(obj)} under the same name"
                )
            self._objects[name] = obj
            self._lazy.pop(name, None)
            for alias in aliases:
                self._aliases[alias] = name

    def add_lazy(self, name: str, target: str, aliases: tuple[str, ...] | list[str] = ()) -> None:
        """Registers ``"module:attribute"`` to be imported on first use."""
        if ":" not in target:
            raise RegistrationError(f"lazy {self.kind} {name!r}: target {target!r} is not 'module:attribute'")
        with self._lock:
            if name not in self._objects:
                self._lazy[name] = target
            for alias in aliases:
                self._aliases[alias] = name

    def add_preset(self, name: str, target: str, **defaults: Any) -> None:
        """Registers ``name`` as ``target`` with default arguments (e.g. a checkpoint id).

        ``--judge qwen2.5-vl-7b`` then builds the ``qwen2.5-vl`` class with ``pretrained=...``; arguments
        the user passes override the defaults.
        """
        with self._lock:
            if name in self._objects or name in self._aliases:
                raise RegistrationError(f"{self.kind} preset {name!r} clashes with a registered name or alias")
            self._presets[name] = (target, dict(defaults))

    def preset_args(self, name: str) -> dict[str, Any]:
        """The default arguments of preset ``name``; empty for any other name."""
        self._discover()
        return dict(self._presets[name][1]) if name in self._presets else {}

    def presets_of(self, name: str) -> dict[str, dict[str, Any]]:
        """The presets built on ``name``, with their default arguments."""
        self._discover()
        return {p: dict(args) for p, (target, args) in sorted(self._presets.items()) if target == name}

    # -- lookup -------------------------------------------------------------------------------------

    def get(self, name: str) -> T:
        """The object registered under ``name`` or an alias; did-you-mean on unknown names.

        An unregistered ``"module:attribute"`` name is imported and checked, so a one-off class needs
        no packaging (``--judge mypkg.judges:MyJudge``).
        """
        self._discover()
        if name in self._presets:
            return self.get(self._presets[name][0])
        with self._lock:
            canonical = self._aliases.get(name, name)
            if canonical in self._objects:
                return self._objects[canonical]
            if canonical not in self._lazy and ":" not in name:
                raise UnknownNameError(self.kind, name, self.names(include_aliases=True))
            target = self._lazy.get(canonical, name)  # an unlisted "module:attribute" is only kept once it loads
        obj = self._load(canonical, target)
        self.add(canonical, obj)
        if isinstance(obj, type) and not vars(obj).get("name"):
            obj.name = canonical  # a plugin class without the decorator: results and fingerprints need a name
        return obj

    def resolve(self, name: str) -> str:
        """The canonical name for ``name`` (which may be an alias)."""
        self._discover()
        if name in self._presets:
            return self.resolve(self._presets[name][0])
        canonical = self._aliases.get(name, name)
        if canonical not in self._objects and canonical not in self._lazy:
            raise UnknownNameError(self.kind, name, self.names(include_aliases=True))
        return canonical

    def names(self, include_aliases: bool = False) -> list[str]:
        """Every registered canonical name, sorted (plus aliases if asked)."""
        self._discover()
        with self._lock:
            names = set(self._objects) | set(self._lazy)
            if include_aliases:
                names |= set(self._aliases) | set(self._presets)
        return sorted(names)

    def aliases_of(self, name: str) -> list[str]:
        """The aliases that point at ``name``."""
        return sorted(a for a, target in self._aliases.items() if target == name)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        self._discover()
        canonical = self._aliases.get(name, name)
        return canonical in self._objects or canonical in self._lazy or name in self._presets

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    # -- internals ----------------------------------------------------------------------------------

    def _discover(self) -> None:
        if self._discovered:
            return
        with self._lock:
            if self._discovered:
                return
            self._discovered = True
            if self.builtin_package:
                package = importlib.import_module(self.builtin_package)
                for module in pkgutil.iter_modules(package.__path__):
                    if not module.name.startswith("_"):
                        importlib.import_module(f"{self.builtin_package}.{module.name}")
            if self.entry_point_group:
                for entry_point in importlib.metadata.entry_points(group=self.entry_point_group):
                    if entry_point.name not in self._objects:
                        self._lazy[entry_point.name] = entry_point

    def _load(self, name: str, target: str | importlib.metadata.EntryPoint) -> T:
        where = f"entry point {target.value!r}" if not isinstance(target, str) else repr(target)
        try:
            if isinstance(target, str):
                module_name, _, attribute = target.partition(":")
                obj = getattr(importlib.import_module(module_name), attribute)
            else:
                obj = target.load()
        except (ImportError, AttributeError) as error:
            raise RegistrationError(f"{self.kind} {name!r}: cannot load {where}: {error}") from error
        return obj

    def _check(self, name: str, obj: object) -> None:
        ok = issubclass(obj, self.base) if isinstance(obj, type) else isinstance(obj, self.base)
        if not ok:
            raise RegistrationError(
                f"{self.kind} {name!r}: {_describe(obj)} is not a {self.base.__module__}.{self.base.__qualname__}"
            )


def _describe(obj: object) -> str:
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    return repr(obj)
