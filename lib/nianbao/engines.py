"""Papermill engines for nianbao: ``nianbao_warm`` keeps one kernel per process and reuses it.

A fresh kernel pays for its start and for every import (Great Expectations alone takes seconds)
on every notebook. :class:`WarmKernelEngine` starts one kernel per (worker) process, imports the heavy
modules once (:func:`nianbao.batch.kernelside.prepare`) and, before each notebook, resets it
(:func:`nianbao.batch.kernelside.reset`) so the notebook sees what a fresh kernel would show.

It follows papermill's engine contract: :meth:`papermill.engines.Engine.execute_notebook` wraps the
run in a ``NotebookExecutionManager`` and calls :meth:`execute_managed_notebook`, which we implement
with papermill's own ``PapermillNotebookClient`` bound to the kept kernel. The engine is registered
under papermill's ``papermill.engine`` entry point (see ``pyproject.toml``), so it also works outside
the kit::

    papermill --engine nianbao_warm in.ipynb out.ipynb

(one notebook per process gains nothing, but the Python API ``papermill.execute_notebook(...,
engine_name="nianbao_warm")`` called repeatedly in one process does).

Every executed notebook records which kind of kernel produced it in ``metadata.nianbao.kernel_mode``
("warm" here; ``nianbao run`` and ``nianbao batch --strict-kernels`` record "fresh").

A kept kernel is replaced when it died, when its reset failed, after :data:`MAX_UNITS_PER_KERNEL`
notebooks, or when its memory exceeds :data:`MAX_KERNEL_RSS` — so a long batch cannot grow without
bound. :func:`shutdown_all` stops the kept kernels; it runs at interpreter exit and at the exit of a
``multiprocessing`` worker (which skips ``atexit``).
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def __getattr__(name):
    # Importing papermill loads its ``papermill.engine`` entry points, which name this module. When
    # this module is imported first, papermill's import meets it half-initialised and looks up
    # WarmKernelEngine before the class exists: hand it a stand-in; the real class is registered at
    # the bottom of this module, replacing it.
    if name == "WarmKernelEngine":
        return _NotReady
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _NotReady:
    @classmethod
    def execute_notebook(cls, *args, **kwargs):  # pragma: no cover - replaced before any use
        raise RuntimeError("nianbao.engines is still being imported")


from papermill.clientwrap import PapermillNotebookClient  # noqa: E402
from papermill.engines import Engine, papermill_engines  # noqa: E402
from papermill.exceptions import PapermillException  # noqa: E402
from papermill.utils import merge_kwargs, remove_args  # noqa: E402

WARM = "nianbao_warm"
KERNEL_MODE_KEY = "kernel_mode"
MAX_UNITS_PER_KERNEL = int(os.environ.get("NIANBAO_WARM_MAX_UNITS", "500"))
MAX_KERNEL_RSS = int(os.environ.get("NIANBAO_WARM_MAX_RSS_MB", "1200")) * 2**20
CONTROL_TIMEOUT = 300  # seconds for the warm-up imports and for a reset

logger = logging.getLogger("nianbao.engines")

PREPARE_CODE = "import nianbao.batch.kernelside as _nb_ks; _nb_ks.prepare({extra!r}, {without!r}); del _nb_ks"
RESET_CODE = "import nianbao.batch.kernelside as _nb_ks; _nb_ks.reset({cwd!r})"
HAND_CODE = "import nianbao.batch.kernelside as _nb_ks; _nb_ks.hand_validation({path!r}); del _nb_ks"


class KernelControlError(PapermillException):
    """Warm-up or reset code failed inside a kept kernel."""


class KeptKernel:
    """One kernel process kept alive across notebooks."""

    def __init__(self, kernel_name: str, cwd: str, *, startup_timeout: float = 60, extra_imports=(),
                 stdout=None, stderr=None, without=()):
        self.kc = None
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.kernel_name = kernel_name or "python3"
        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        self.units = 0
        self.started = time.monotonic()
        launch = {"cwd": cwd, "extra_arguments": ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]}
        if stdout is not None:
            launch["stdout"] = stdout
        if stderr is not None:
            launch["stderr"] = stderr
        run_sync(self.km.start_kernel)(**launch)
        try:
            # One client for the kernel's whole life: a new client per notebook would pay the ZeroMQ
            # "slow joiner" wait (~0.2-0.3 s) in wait_for_ready every time. All calls on it go through
            # jupyter_core's run_sync from one thread, hence one event loop (see _on_kernel_thread).
            self.kc = self.km.client()
            self.kc.start_channels()
            run_sync(self.kc.wait_for_ready)(timeout=startup_timeout)
            self.kc.allow_stdin = False
            self.control(PREPARE_CODE.format(extra=tuple(extra_imports), without=tuple(without)),
                         timeout=CONTROL_TIMEOUT)
        except BaseException:
            self.shutdown()
            raise

    @property
    def pid(self) -> int | None:
        return getattr(self.km.provisioner, "pid", None) if self.km.provisioner else None

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def rss(self) -> int:
        try:
            import psutil

            return psutil.Process(self.pid).memory_info().rss
        except Exception:
            return 0

    def control(self, code: str, *, timeout: float = CONTROL_TIMEOUT) -> None:
        """Run ``code`` in the kernel outside any notebook (not stored in history); raise if it fails."""
        from jupyter_core.utils import run_sync

        outputs: list[str] = []

        def keep(msg):
            if msg["msg_type"] in ("stream", "error"):
                content = msg["content"]
                outputs.append(content.get("text") or "\n".join(content.get("traceback", [])))

        reply = run_sync(self.kc.execute_interactive)(code, store_history=False, allow_stdin=False,
                                                       timeout=timeout, output_hook=keep)
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelControlError(
                f"kernel control code failed: {content.get('ename')}: {content.get('evalue')}\n" + "".join(outputs))

    def reset(self, cwd: str, handed: str | None = None) -> None:
        """Reset the kernel for the next notebook and, in the same round trip, hand it ``handed``."""
        code = RESET_CODE.format(cwd=cwd)
        if handed:
            code += "\n" + HAND_CODE.format(path=handed)
        self.control(code)

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        kc, self.kc = getattr(self, "kc", None), None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:
                pass
        try:
            if run_sync(self.km.is_alive)():
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # already gone
            pass
        try:
            run_sync(self.km.cleanup_resources)()
        except Exception:
            pass


class _KernelPool:
    """The kept kernels of this process, by kernel name. One at a time is used: papermill changes the
    process's working directory, so notebooks in one process run one after another."""

    def __init__(self):
        self.kernels: dict[str, KeptKernel] = {}
        self.lock = threading.Lock()
        self.stdout = None
        self.stderr = None
        self.extra_imports: tuple[str, ...] = ()
        self.without: tuple[str, ...] = ()  # warm-up imports to leave out (kernelside.VALIDATION_IMPORTS)
        self.handed_validation: str | None = None  # for the next notebook (see hand_validation)
        self.started = 0  # kernels started by this process (for tests and the batch summary)

    def acquire(self, kernel_name: str, cwd: str, startup_timeout: float,
                handed: str | None = None) -> tuple[KeptKernel, bool]:
        """A ready kernel for ``kernel_name``; the bool says whether it was just started (no reset needed).
        ``handed``: a validation result to hand a reset kernel with its reset (a new one gets it apart)."""
        kernel = self.kernels.get(kernel_name)
        if kernel is not None and (not kernel.alive() or kernel.units >= MAX_UNITS_PER_KERNEL
                                   or kernel.rss() > MAX_KERNEL_RSS):
            self.discard(kernel_name)
            kernel = None
        if kernel is not None:
            try:
                kernel.reset(cwd, handed)
                return kernel, False
            except Exception as exc:
                logger.warning("reset of kept kernel failed (%s); starting a new one", exc)
                self.discard(kernel_name)
        kernel = KeptKernel(kernel_name, cwd, startup_timeout=startup_timeout, extra_imports=self.extra_imports,
                            stdout=self.stdout, stderr=self.stderr, without=self.without)
        self.kernels[kernel_name] = kernel
        self.started += 1
        return kernel, True

    def discard(self, kernel_name: str) -> None:
        kernel = self.kernels.pop(kernel_name, None)
        if kernel is not None:
            kernel.shutdown()

    def shutdown_all(self) -> None:
        for name in list(self.kernels):
            self.discard(name)


POOL = _KernelPool()
# Timings of this process's last notebook (seconds): kernel start+warm-up or reset, and cell execution.
LAST_RUN: dict = {}


_KERNEL_THREAD: ThreadPoolExecutor | None = None


def _on_kernel_thread(fn, *args, **kwargs):
    """Run ``fn`` on this process's one kernel thread.

    The kept client's ZeroMQ sockets belong to the event loop jupyter_core keeps per thread; callers
    such as Dask run each task in a fresh context where that loop is not visible. Running every use of
    a kept kernel on one long-lived thread keeps one loop for the kernel's whole life.
    """
    if threading.current_thread().name.startswith("nianbao-kernel"):
        return fn(*args, **kwargs)
    return _kernel_thread().submit(fn, *args, **kwargs).result()


def _kernel_thread() -> ThreadPoolExecutor:
    global _KERNEL_THREAD
    if _KERNEL_THREAD is None:
        _KERNEL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nianbao-kernel")
    return _KERNEL_THREAD


def configure(*, stdout=None, stderr=None, extra_imports: tuple[str, ...] = (), without: tuple[str, ...] = ()) -> None:
    """Where kept kernels' own stdout/stderr go (file objects; default: inherited), extra warm-up imports,
    and warm-up imports to leave out."""
    POOL.stdout, POOL.stderr, POOL.extra_imports = stdout, stderr, tuple(extra_imports)
    POOL.without = tuple(without)


def hand_validation(path: str | None) -> None:
    """Give the next notebook run in this process's kept kernel the batch's validation result at ``path``
    (a pickle written by :mod:`nianbao.validation.handed`); None: nothing to hand, the kernel validates."""
    POOL.handed_validation = path


def prewarm(kernel_name: str, cwd: str, startup_timeout: float = 60, *, wait: bool = True):
    """Start and warm this process's kernel now; with ``wait=False`` return a future at once, so the
    caller can do other start-up work while the kernel imports."""
    def start():
        with POOL.lock:
            if kernel_name not in POOL.kernels:
                POOL.acquire(kernel_name, cwd, startup_timeout)

    if wait:
        return _on_kernel_thread(start)
    return _kernel_thread().submit(start)


def shutdown_all() -> None:
    """Stop every kept kernel of this process (on the kernel thread while it still runs)."""
    if not POOL.kernels:
        return
    try:
        _on_kernel_thread(POOL.shutdown_all)
    except RuntimeError:  # interpreter shutting down: the thread pool no longer takes work
        POOL.shutdown_all()


atexit.register(shutdown_all)
try:  # multiprocessing children leave through os._exit, which skips atexit; Finalize still runs
    from multiprocessing import util as _mp_util

    _mp_util.Finalize(POOL, POOL.shutdown_all, exitpriority=20)
except Exception:  # pragma: no cover
    pass


class WarmKernelEngine(Engine):
    """Papermill engine executing notebooks in this process's kept kernel."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        cwd = os.getcwd()  # papermill has already changed into the notebook's working directory
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        _on_kernel_thread(cls._execute, nb_man, kernel_name, cwd, start_timeout, final_kwargs)
        return nb_man.nb

    @staticmethod
    def _execute(nb_man, kernel_name, cwd, start_timeout, final_kwargs):
        with POOL.lock:
            t0 = time.perf_counter()
            handed, POOL.handed_validation = POOL.handed_validation, None
            kernel, new = POOL.acquire(kernel_name, cwd, start_timeout, handed)
            t1 = time.perf_counter()
            LAST_RUN.clear()
            LAST_RUN.update(unit=(nb_man.nb.metadata.get("papermill", {}).get("parameters") or {}).get("unit"),
                            started_kernel=new, prepare_or_reset=round(t1 - t0, 4))
            kernel.units += 1
            if handed and new:  # a kept kernel got it with its reset
                kernel.control(HAND_CODE.format(path=handed))
            nb_man.nb.metadata.setdefault("nianbao", {})[KERNEL_MODE_KEY] = "warm"
            client = PapermillNotebookClient(nb_man, km=kernel.km, **final_kwargs)
            client.kc = kernel.kc  # nbclient then neither starts nor stops a client of its own
            try:
                client.execute()  # a failing cell is recorded in the notebook, not raised
            except BaseException:
                # The kernel died, timed out or was interrupted: never reuse it.
                POOL.discard(kernel_name)
                raise
            finally:
                LAST_RUN["cells"] = round(time.perf_counter() - t1, 4)


papermill_engines.register(WARM, WarmKernelEngine)  # also registered through the entry point
