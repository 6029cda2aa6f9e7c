"""Registry of ``nianbao`` subcommands.

A command is a module with ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``main(args) -> int``.
Built-ins are listed in :data:`BUILTIN` (adding one is one line there); a package outside the kit
declares an entry point in the group ``nianbao.commands``; :func:`register` adds one at run time.
All three land in :data:`COMMANDS`, a :class:`nianbao.registry.Registry`.
"""
from __future__ import annotations

from types import ModuleType

from ..registry import Registry

BUILTIN = ("run", "template", "validate", "new", "verify", "bundle", "batch", "synth", "keygen", "workbook", "collect",
           "import", "audit", "compare")


def _check(name: str, module: ModuleType) -> ModuleType:
    for attr in ("NAME", "HELP", "add_arguments", "main"):
        if not hasattr(module, attr):
            raise TypeError(f"command module {module.__name__} lacks {attr}")
    return module


COMMANDS = Registry("命令", "nianbao.commands", order=BUILTIN, load=_check,
                    builtin=[(name, f"{__name__}.{name}") for name in BUILTIN])


def register(module: ModuleType) -> None:
    COMMANDS.register(module.NAME, _check(module.NAME, module), replace=True)


def commands() -> dict[str, ModuleType]:
    return dict(COMMANDS.items())
