"""The kernel side of the warm-kernel engine (:mod:`nianbao.engines`): code that runs inside a kept
IPython kernel.

:func:`prepare` imports the heavy modules once and takes a snapshot of the process state a notebook
can change; :func:`reset` restores that snapshot between units, so that the next notebook sees what a
freshly started kernel with the same imports would show. What is reset, and why:

- the user namespace, ``In``/``Out`` and the execution counter (``InteractiveShell.reset``), so
  execution counts in the executed notebook start at 1 as in a fresh kernel;
- ``nianbao`` module state: every ``functools`` cache in a loaded ``nianbao`` module is cleared and
  every module-level ``_reset_unit_state()`` function is called (the hook for a module that keeps a
  per-unit cache of its own). Modules stay imported: nothing in nianbao registers as a side effect
  of an import (the registries, :mod:`nianbao.registry`, resolve their entries lazily and list them
  in a fixed order), so a module the previous unit imported changes nothing for the next;
- the working directory, ``os.environ``, ``sys.path``, the ``decimal`` context, the root logger;
- warning filters and the "already shown" registries (otherwise a warning shown for unit A would
  silently not be shown for unit B);
- pandas options and IPython display formatters registered by a notebook.

Third-party modules stay imported: that is the point of a warm kernel. Their own global state is
outside this list; the isolation test in ``tests/test_engine_warm.py`` runs two different units
through one kernel and compares the second with a fresh-kernel run to catch any such leak.

This module must not import anything heavy at module level: it is imported in every kept kernel.
"""
from __future__ import annotations

import copy
import decimal
import gc
import importlib
import logging
import os
import sys
import warnings

# Imported once per kernel. Missing optional modules are skipped (recorded in ``failed_imports``).
# Third-party modules, plus the nianbao module the notebook imports first; nianbao modules the notebook
# imports later (validation, provenance, …) are imported by the first unit and kept, like the heavy
# dependencies. (Registration by import side effects once made a kept module change what the next
# report showed — the isolation test caught it — and resets dropped those modules; registries are now
# lazy and ordered, see nianbao.registry.)
HEAVY_IMPORTS = ("pandas", "numpy", "great_expectations", "great_expectations.expectations", "mistune", "yaml",
                 "jinja2", "jinja2.sandbox", "IPython.display")
NOTEBOOK_IMPORTS = ("nianbao", "nianbao.report")
# Only validation needs these. A batch that hands each kernel its unit's validation result
# (nianbao.validation.handed) warms its kernels without them: a kernel then starts in about a second
# and holds a fraction of the memory. Should a hand-over not match, the kernel imports them itself.
VALIDATION_IMPORTS = ("pandas", "numpy", "great_expectations", "great_expectations.expectations")

_snapshot: dict | None = None
failed_imports: dict[str, str] = {}
# Path of the validation result the batch handed for the next notebook (see nianbao.validation.handed);
# cleared by every reset and by the notebook that takes it.
handed_validation: str | None = None


def hand_validation(path: str | None) -> None:
    global handed_validation
    handed_validation = path


def _is_nianbao(name: str) -> bool:
    return name == "nianbao" or name.startswith("nianbao.")


def _third_party(names) -> tuple[str, ...]:
    """Extra warm-up imports, minus nianbao modules (see HEAVY_IMPORTS for why)."""
    return tuple(n for n in names if not _is_nianbao(n))


def prepare(extra_imports: tuple[str, ...] = (), without: tuple[str, ...] = ()) -> dict:
    """Import what every report needs (but ``without``), then snapshot the state :func:`reset` restores."""
    global _snapshot
    for name in (*HEAVY_IMPORTS, *_third_party(extra_imports), *NOTEBOOK_IMPORTS):
        if name in without:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importlib.import_module(name)
        except Exception as exc:  # an optional module, or one another engineer is still writing
            failed_imports[name] = f"{type(exc).__name__}: {exc}"
    # The report's provenance appendix (built in this kernel) names the kernel mode it ran in;
    # set before the snapshot so every reset keeps it.
    from nianbao.provenance import KERNEL_MODE_ENV

    os.environ[KERNEL_MODE_ENV] = "warm"
    _snapshot = _take()
    # The imports leave a large heap (Great Expectations alone: ~10^6 objects) that every full
    # collection would walk again; IPython's reset() runs one per unit. Freeze it: later collections
    # only look at what the notebooks create.
    gc.collect()
    gc.freeze()
    return {"modules": len(sys.modules), "failed_imports": dict(failed_imports)}


def _pandas_options() -> dict:
    pd = sys.modules.get("pandas")
    if pd is None:
        return {}
    try:
        from pandas._config.config import _registered_options
    except ImportError:  # pragma: no cover - pandas internals moved
        return {}
    values = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in _registered_options:
            try:
                values[key] = copy.deepcopy(pd.get_option(key))
            except Exception:
                pass
    return values


def _formatters() -> dict:
    ip = _shell()
    if ip is None:
        return {}
    return {mime: (dict(f.type_printers), dict(f.deferred_printers), getattr(f, "enabled", True))
            for mime, f in ip.display_formatter.formatters.items()}


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    return get_ipython()


def _take() -> dict:
    root = logging.getLogger()
    return {
        "modules": set(sys.modules),
        "environ": dict(os.environ),
        "path": list(sys.path),
        "filters": list(warnings.filters),
        "decimal": decimal.getcontext().copy(),
        "root_handlers": list(root.handlers),
        "root_level": root.level,
        "pandas": _pandas_options(),
        "formatters": _formatters(),
    }


def reset(cwd: str) -> None:
    """Make the kernel look freshly started (with the warm-up imports done) for the next notebook."""
    global handed_validation
    if _snapshot is None:
        raise RuntimeError("kernelside.reset() called before prepare()")
    handed_validation = None
    snap = _snapshot
    ip = _shell()
    if ip is not None:
        ip.reset(new_session=True)
    # nianbao module state (modules stay imported: see the module docstring)
    for name, module in list(sys.modules.items()):
        if not _is_nianbao(name) or module is None:
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()
        hook = vars(module).get("_reset_unit_state")
        if callable(hook):
            hook()
    # process state
    os.chdir(cwd)
    if os.environ != snap["environ"]:
        os.environ.clear()
        os.environ.update(snap["environ"])
    sys.path[:] = snap["path"]
    warnings.filters[:] = snap["filters"]
    warnings._filters_mutated()  # invalidates every module's "already shown" registry
    getattr(warnings, "onceregistry", {}).clear()
    decimal.setcontext(snap["decimal"].copy())
    root = logging.getLogger()
    root.handlers[:] = snap["root_handlers"]
    root.setLevel(snap["root_level"])
    pd = sys.modules.get("pandas")
    if pd is not None and snap["pandas"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, value in snap["pandas"].items():
                try:
                    if pd.get_option(key) != value:
                        pd.set_option(key, copy.deepcopy(value))
                except Exception:
                    pass
    if ip is not None and snap["formatters"]:
        for mime, f in ip.display_formatter.formatters.items():
            saved = snap["formatters"].get(mime)
            if saved is None:
                continue
            f.type_printers.clear()
            f.type_printers.update(saved[0])
            f.deferred_printers.clear()
            f.deferred_printers.update(saved[1])
            if hasattr(f, "enabled"):
                f.enabled = saved[2]
