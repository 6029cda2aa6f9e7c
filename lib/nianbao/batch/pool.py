"""Local worker processes that a batch survives: a dead or stuck worker costs only the unit it held.

Each worker is a spawned process with its own pipe to the batch. It announces when it is ready
(kernel warmed), when it starts a unit and when it finished one. The batch side

- gives a unit to an idle worker and starts that unit's clock when the worker says it began;
- fails the unit alone when its time limit passes (``unit_timeout``): the worker's process tree
  (the worker, its kept kernel, any browser it started) is killed and a new worker is started;
- fails the unit alone when its worker dies (``kill -9``, out of memory, a crash in a library),
  saying so, kills what the dead worker left behind (its kernel lives in a session of its own) and
  starts a new worker; the other workers never notice.

Nothing here raises to the scheduler for a unit's sake: every outcome, also a lost worker or a
timeout, is an outcome record (see :func:`failure_record`), set as the unit's future's result.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from concurrent.futures import Future
from multiprocessing.connection import wait as mp_wait

DEFAULT_UNIT_TIMEOUT = 600.0  # seconds; a unit normally takes well under a minute, even in a fresh kernel
MAX_START_FAILURES = 3  # workers in a row that die before taking any unit: give up on the remaining units


def failure_record(job: dict, kind: str, message: str, *, seconds: float | None = None, pid: int | None = None) -> dict:
    rec = {"key": job.get("key"), "outcome": "failed", "error_kind": kind, "error": message, "files": {},
           "kernel_mode": "fresh" if job.get("strict") else "warm"}
    if seconds is not None:
        rec["seconds"] = round(seconds, 3)
    if pid is not None:
        rec["pid"] = pid
    from .worker import finished_now

    rec["finished"] = finished_now()
    return rec


def timeout_message(limit: float, stopped: str) -> str:
    """A unit's failure message when it overran ``limit`` seconds; ``stopped``: what was done about its worker."""
    return (f"本单位运行超过时间限制 {limit:g} 秒（--unit-timeout），已终止；原有报告保持不变。{stopped}，其余单位继续运行。"
            f"请检查该单位的叙述文字或数据是否导致计算过长；确需更长时间时可调大 --unit-timeout。")


def signal_name(exitcode: int | None) -> str:
    if exitcode is None:
        return "未知原因"
    if exitcode < 0:
        try:
            return f"信号 {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"信号 {-exitcode}"
    return f"退出码 {exitcode}"


def _worker_main(conn, config: dict) -> None:
    """The worker process: init (warm kernel), then units from the pipe until told to stop."""
    # Ctrl-C reaches the whole process group: the batch handles it and stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .worker import init_worker, run_unit

    init_worker({**config, "redirect": True})
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            break
        if job is None:
            break
        conn.send(("start", job["unit"]))
        rec = run_unit(job)
        conn.send(("done", job["unit"], rec))
    conn.close()


class _Worker:
    def __init__(self, ctx, config: dict):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        self.process = ctx.Process(target=_worker_main, args=(child, config), name="nianbao-batch-worker", daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.took_unit = False
        self.job: dict | None = None
        self.future: Future | None = None
        self.started: float | None = None  # when the current unit began (the worker said so)
        self.given: float | None = None
        self.descendants: list = []  # psutil.Process objects: kernel, browser … (killed with the worker)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def snapshot(self) -> None:
        """Remember the worker's process tree, to clean it up if the worker dies without doing so."""
        try:
            import psutil

            kids = psutil.Process(self.pid).children(recursive=True)
        except Exception:
            return
        known = {p.pid: p for p in self.descendants}
        for p in kids:
            known[p.pid] = p
        self.descendants = list(known.values())

    def kill_tree(self) -> None:
        self.snapshot()
        try:
            self.process.kill()
        except Exception:
            pass
        for p in self.descendants:
            try:  # psutil refuses to signal a pid that was reused by another process
                p.kill()
            except Exception:
                pass
        self.process.join(5)
        try:
            self.conn.close()
        except Exception:
            pass


class SurvivingPool:
    """``jobs`` worker processes; ``submit(job)`` → Future of the unit's outcome record."""

    def __init__(self, jobs: int, config: dict, *, unit_timeout: float | None = DEFAULT_UNIT_TIMEOUT):
        self.ctx = multiprocessing.get_context("spawn")
        self.config = config
        self.jobs = jobs
        self.unit_timeout = unit_timeout if unit_timeout and unit_timeout > 0 else None
        self.queue: deque[tuple[dict, Future]] = deque()
        self.workers: list[_Worker] = [self._spawn() for _ in range(jobs)]
        self.start_failures = 0
        self.broken: str | None = None  # set when workers cannot be started at all
        self.replaced = 0  # workers started to replace a dead or killed one (for tests and the summary)

    def _spawn(self) -> _Worker:
        return _Worker(self.ctx, self.config)

    # -- the scheduler's interface -----------------------------------------------------------------
    def submit(self, job: dict) -> Future:
        fut: Future = Future()
        fut.set_running_or_notify_cancel()
        self.queue.append((job, fut))
        self._dispatch()
        return fut

    def wait_any(self, futures, timeout: float | None = None) -> set:
        futures = list(futures)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            done = {f for f in futures if f.done()}
            if done:
                return done
            self._dispatch()
            wait_for = 1.0
            limits = [w.started + self.unit_timeout - time.monotonic() for w in self.workers
                      if w.job is not None and w.started is not None and self.unit_timeout]
            if limits:
                wait_for = max(0.0, min(wait_for, min(limits)))
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return set()
                wait_for = min(wait_for, left)
            self._poll(wait_for)

    def close(self, cancel: bool = False) -> None:
        self.queue.clear()  # never given to a worker: the scheduler records nothing for them
        for w in self.workers:
            if cancel or w.job is not None:
                w.kill_tree()
                continue
            try:
                w.conn.send(None)
            except Exception:
                pass
        for w in self.workers:
            if w.process.is_alive():
                w.process.join(30)
            if w.process.is_alive():
                w.kill_tree()
            else:  # exited by itself: its finalizers stopped the kernel; clean up anything left over
                for p in w.descendants:
                    try:
                        if p.is_running():
                            p.kill()
                    except Exception:
                        pass
        self.workers = []

    # -- internals ----------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        if self.broken:
            while self.queue:
                job, fut = self.queue.popleft()
                fut.set_result(failure_record(job, "internal", self.broken))
            return
        for w in self.workers:
            if not self.queue:
                return
            if w.job is None and w.process.is_alive():
                job, fut = self.queue.popleft()
                try:
                    w.conn.send(job)
                except (OSError, ValueError, BrokenPipeError):
                    self.queue.appendleft((job, fut))  # the worker is gone: _poll will replace it
                    continue
                w.job, w.future, w.given, w.started = job, fut, time.monotonic(), None

    def _poll(self, timeout: float) -> None:
        handles = {}
        for w in self.workers:
            handles[w.conn] = w
            handles[w.process.sentinel] = w
        try:
            ready = mp_wait(list(handles), timeout)
        except OSError:
            ready = []
        seen = set()
        for h in ready:
            w = handles[h]
            if id(w) in seen:
                continue
            seen.add(id(w))
            self._drain(w)
        for w in list(self.workers):
            if not w.process.is_alive() and w in self.workers:
                self._drain(w)
                self._lost(w)
            elif w.job is not None and w.started is not None and self.unit_timeout \
                    and time.monotonic() - w.started > self.unit_timeout:
                self._timed_out(w)

    def _drain(self, w: _Worker) -> None:
        while True:
            try:
                if not w.conn.poll():
                    return
                msg = w.conn.recv()
            except (EOFError, OSError):
                return
            kind = msg[0]
            if kind == "ready":
                w.ready = True
                w.snapshot()
            elif kind == "start":
                w.started = time.monotonic()
                w.took_unit = True
                self.start_failures = 0
                w.snapshot()
            elif kind == "done":
                fut, w.job, w.future, w.started = w.future, None, None, None
                w.snapshot()
                if fut is not None and not fut.done():
                    fut.set_result(msg[2])

    def _replace(self, w: _Worker) -> None:
        self.workers.remove(w)
        if not w.ready:
            self.start_failures += 1
        if self.start_failures >= MAX_START_FAILURES:
            self.broken = (f"连续 {MAX_START_FAILURES} 个工作进程未能启动（最后一个：{signal_name(w.process.exitcode)}），"
                           f"本单位未运行。请查看 {self.config.get('log_dir') or '工作进程日志'} 中的 worker-*.log。")
            self._dispatch()
            return
        self.workers.append(self._spawn())
        self.replaced += 1

    def _lost(self, w: _Worker) -> None:
        exitcode = w.process.exitcode
        w.kill_tree()  # the dead worker's kernel lives in a session of its own: stop it too
        if w.job is not None and w.started is None and w.future is not None and not w.future.done():
            self.queue.appendleft((w.job, w.future))  # died before it read the unit: not the unit's doing
            w.job = None
        if w.job is not None and w.future is not None and not w.future.done():
            held = time.monotonic() - (w.started or w.given or time.monotonic())
            w.future.set_result(failure_record(w.job, "worker", (
                f"运行本单位的工作进程（PID {w.pid}）意外退出（{signal_name(exitcode)}），本单位未完成，"
                f"原有报告保持不变；已启动新的工作进程，其余单位继续运行。"
                f"可用 nianbao batch --year {w.job.get('year')} --retry-failed 重试。"), seconds=held, pid=w.pid))
            w.job = None
        self._replace(w)

    def _timed_out(self, w: _Worker) -> None:
        limit = self.unit_timeout
        held = time.monotonic() - (w.started or time.monotonic())
        job, fut = w.job, w.future
        w.job = None
        w.kill_tree()
        if fut is not None and not fut.done():
            fut.set_result(failure_record(job, "timeout", timeout_message(limit, "已停止其工作进程并启动新的工作进程"),
                                          seconds=held, pid=w.pid))
        self._replace(w)
