"""One registry shape for every extension point (papermill's ``PapermillEngines`` / ``PapermillIO``).

A :class:`Registry` holds named objects of one kind — form packs, rule kinds, checks, commands,
output formats, executors. Objects come from two places, looked up the same way in every process
(the parent, a spawned worker, a Dask worker, a kept kernel):

- ``register(name, obj)`` — an explicit registration (tests, a notebook, a plugin's own code);
- the entry-point group named at construction (``nianbao.forms`` …), read once, lazily, the first
  time a name is looked up or listed: a package outside the kit registers a form pack or a check by
  declaring an entry point in its ``pyproject.toml``; the kit declares its own packs the same way.

Nothing is registered as a side effect of importing a module, so what a lookup finds does not depend
on which modules a process happened to import before. ``names()`` is sorted by the order given at
construction (``order``) and then by name, never by registration order, for the same reason.
"""
from __future__ import annotations

import threading
from importlib import metadata
from typing import Any, Callable, Iterable

from .errors import InputError


# Entry points are loaded under one lock: another thread looking up a name meanwhile waits for the
# whole group instead of seeing it half loaded (the batch prepares its last step on a thread).
_LOADING = threading.RLock()


class RegistryError(InputError):
    """An unknown name was looked up (exit code 3, the message lists the valid names)."""


class Registry:
    """Named objects of one kind. ``kind`` is the Chinese name used in messages (e.g. 报告格式)."""

    def __init__(self, kind: str, group: str | None = None, *, order: Iterable[str] = (),
                 load: Callable[[str, Any], Any] | None = None, builtin: Iterable[tuple[str, str]] = ()):
        self.kind = kind
        self.group = group
        self._order = {name: i for i, name in enumerate(order)}
        self._load = load  # (name, what an entry point or builtin spec resolves to) -> the registered object
        self._builtin = tuple(builtin)  # (name, "module:attr") resolved lazily like entry points
        self._items: dict[str, Any] = {}
        self._entry_points_loaded = False  # set when loading starts (a loader may look names up)
        self._entry_points_done = False

    # -- registration -----------------------------------------------------------------------------
    def register(self, name: str, obj: Any, *, replace: bool = False) -> Any:
        if not replace and name in self._items and self._items[name] is not obj:
            raise ValueError(f"{self.kind} {name!r} is already registered (pass replace=True to replace it)")
        self._items[name] = obj
        return obj

    def unregister(self, name: str) -> None:
        self._items.pop(name, None)

    def register_entry_points(self) -> None:
        """Register every entry point of the group (and the builtin specs) not registered yet."""
        with _LOADING:
            self._register_entry_points()

    def _register_entry_points(self) -> None:
        self._entry_points_loaded = True
        specs: list[tuple[str, Callable[[], Any]]] = []
        for name, target in self._builtin:
            specs.append((name, lambda target=target: _resolve(target)))
        if self.group:
            for ep in sorted(metadata.entry_points(group=self.group), key=lambda e: e.name):
                specs.append((ep.name, ep.load))
        for name, loader in specs:
            if name in self._items:
                continue
            obj = loader()
            self._items[name] = self._load(name, obj) if self._load else obj
        self._entry_points_done = True

    def _ensure(self) -> None:
        if self._entry_points_done:
            return
        with _LOADING:
            if not self._entry_points_loaded:
                self._register_entry_points()

    # -- lookup -----------------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        if name not in self._items:
            self._ensure()
        try:
            return self._items[name]
        except KeyError:
            raise RegistryError(f"未知的{self.kind} {name!r}；{self.available_text()}") from None

    def __contains__(self, name: str) -> bool:
        self._ensure()
        return name in self._items

    def __getitem__(self, name: str) -> Any:  # dict-like use (``REG[name]``): KeyError when unknown
        if name not in self:
            raise KeyError(name)
        return self._items[name]

    def __iter__(self):
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def available_text(self) -> str:
        """“可用的…：a、b。”, or what to do when nothing is registered (an install without entry points)."""
        if self.names():
            return f"可用的{self.kind}：{'、'.join(self.names())}。"
        where = f"（入口组 {self.group} 中没有任何登记）" if self.group else ""
        return f"没有可用的{self.kind}{where}。请先安装 nianbao（make setup，或 pip install -e .）。"

    def names(self) -> tuple[str, ...]:
        self._ensure()
        return tuple(sorted(self._items, key=lambda n: (self._order.get(n, len(self._order)), n)))

    def items(self) -> list[tuple[str, Any]]:
        return [(n, self._items[n]) for n in self.names()]

    def values(self) -> list[Any]:
        return [obj for _, obj in self.items()]


def _resolve(target: str) -> Any:
    """``"package.module:attr"`` → the attribute; ``"package.module"`` → the module."""
    import importlib

    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


__all__ = ["Registry", "RegistryError"]
