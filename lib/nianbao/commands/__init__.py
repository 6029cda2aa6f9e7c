"""Registry of ``nianbao`` subcommands.

A command is a module with ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``main(args) -> int``.
Built-ins are listed in :data:`BUILTIN`; :func:`register` adds one more the same way.
"""
from __future__ import annotations

import importlib
from types import ModuleType

BUILTIN = ("run", "template", "validate", "new", "verify", "bundle", "batch", "synth")
_COMMANDS: dict[str, ModuleType] = {}


def register(module: ModuleType) -> None:
    for attr in ("NAME", "HELP", "add_arguments", "main"):
        if not hasattr(module, attr):
            raise TypeError(f"command module {module.__name__} lacks {attr}")
    _COMMANDS[module.NAME] = module


def commands() -> dict[str, ModuleType]:
    if not _COMMANDS:
        for name in BUILTIN:
            register(importlib.import_module(f"{__name__}.{name}"))
    return dict(_COMMANDS)
