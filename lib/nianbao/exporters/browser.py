"""One headless Chromium per process, driven by Playwright, for printing reports to PDF.

Chromium comes from the system (Debian's ``chromium`` package): nothing is downloaded, ever. The
browser is started on first use and kept open for the life of the process, so a batch of reports
pays its start-up once; it is closed at interpreter exit.

Playwright's sync API belongs to the thread that started it and refuses to run inside an asyncio
loop (Jupyter, papermill). Every browser call therefore runs on one private worker thread; callers
on any thread hand it a function and wait for the result.

Before printing, :func:`require_cjk_font` checks that a font covering Chinese is installed:
without one Chromium would print empty boxes, so the kit refuses with the command that fixes it.
"""
from __future__ import annotations

import atexit
import os
import queue
import shutil
import subprocess
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Callable, TypeVar

from ..errors import SetupError

T = TypeVar("T")

INSTALL_HINT = "sudo apt-get install chromium fonts-noto-cjk（或在项目目录运行 `make setup`）"
# After a message naming the characters no installed font has (a PDF's, a chart's)
GLYPH_HINT = "请安装包含这些字符的字体，例如 sudo apt-get install fonts-noto-cjk fonts-noto-cjk-extra（或 `make setup`），或改写这些字符。"
CHROMIUM_ENV = "NIANBAO_CHROMIUM"
# Searched in this order when neither the exporter's setting nor NIANBAO_CHROMIUM names a browser.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Debian's /usr/bin/chromium is a shell wrapper (sources /etc/chromium.d, loads extensions); the
# binary behind it starts ~0.4 s faster and without the wrapper's extensions.
DEBIAN_CHROMIUM_BINARY = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",  # runs as root in containers and CI; pages printed are our own, scripts disabled
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--font-render-hinting=none",
    # Nothing leaves the machine (tests/test_offline.py traces every socket of an export):
    "--host-resolver-rules=MAP * ~NOTFOUND",  # every host name fails to resolve, without a DNS query
    "--no-proxy-server",  # no proxy auto-detection (WPAD lookups)
    "--disable-quic",
    "--dns-prefetch-disable",
    "--no-pings",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--safebrowsing-disable-auto-update",
    "--disable-breakpad",
    "--disable-component-extensions-with-background-pages",
    "--disable-field-trial-config",
    "--disable-crash-reporter",
)
# Every page the kit prints or draws in, in-process and in the batch's print service: scripts off,
# offline, no service workers (and every request routed to abort).
PAGE_CONTEXT = {"java_script_enabled": False, "offline": True, "service_workers": "block"}
# Families the report CSS asks for first; any font that covers Chinese avoids empty boxes.
PREFERRED_CJK = ("Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "Source Han Sans SC")
CJK_FONT_FILE_HINTS = ("CJK", "SourceHan", "wqy", "WenQuanYi", "uming", "ukai", "DroidSansFallback")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")


def find_chromium(explicit: str | None = None, purpose: str = "生成 PDF") -> str:
    """Path of the Chromium executable to drive; SetupError saying how to install it when absent.

    ``purpose`` names, in the message, what needs the browser (生成 PDF, 在 Word 文件中绘制图表 …)."""
    wanted = explicit or os.environ.get(CHROMIUM_ENV)
    if wanted:
        path = shutil.which(wanted) or (wanted if os.access(wanted, os.X_OK) else None)
        if not path:
            source = "设置" if explicit else f"环境变量 {CHROMIUM_ENV}"
            raise SetupError(f"找不到{source}指定的 Chromium 浏览器：{wanted}。{purpose}需要 Chromium：{INSTALL_HINT}。")
        return path
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            if name == "chromium" and _is_script(path) and os.access(DEBIAN_CHROMIUM_BINARY, os.X_OK):
                return str(DEBIAN_CHROMIUM_BINARY)
            return path
    if os.access(DEBIAN_CHROMIUM_BINARY, os.X_OK):
        return str(DEBIAN_CHROMIUM_BINARY)
    raise SetupError(
        f"{purpose}需要 Chromium 浏览器，但本机没有安装。请运行：{INSTALL_HINT}。"
        f"也可用环境变量 {CHROMIUM_ENV} 指定浏览器程序的路径。"
    )


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"#!"
    except OSError:
        return False


def find_cjk_fonts() -> list[str]:
    """Installed fonts that cover Chinese, as "family: file" lines (empty when there are none).

    Asks fontconfig (what Chromium itself uses); without ``fc-list`` looks for known CJK font files.
    """
    fc_list = shutil.which("fc-list")
    if fc_list:
        proc = subprocess.run([fc_list, ":lang=zh", "family", "file"], capture_output=True, text=True,
                              timeout=30, check=False)
        return sorted(line.strip() for line in proc.stdout.splitlines() if line.strip())
    found = []
    for d in FONT_DIRS:
        root = Path(d).expanduser()
        if root.is_dir():
            found += [f"{p.name}: {p}" for p in root.rglob("*")
                      if p.suffix.lower() in (".ttc", ".otf", ".ttf", ".otc")
                      and any(h.lower() in p.name.lower() for h in CJK_FONT_FILE_HINTS)]
    return sorted(found)


def uncovered_chars(text: str) -> str:
    """The characters of ``text`` that no installed font has (asks fontconfig; "" if it cannot tell)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return ""
    proc = subprocess.run([fc_list, "--format", "%{charset}\\n"], capture_output=True, text=True,
                          timeout=30, check=False)
    ranges: list[tuple[int, int]] = []
    for token in proc.stdout.split():
        lo, _, hi = token.partition("-")
        try:
            ranges.append((int(lo, 16), int(hi or lo, 16)))
        except ValueError:
            continue
    wanted = {ch for ch in text if not ch.isspace() and ord(ch) > 0x7E}
    return "".join(sorted(ch for ch in wanted if not any(lo <= ord(ch) <= hi for lo, hi in ranges)))


_fonts_ok: set = set()


def require_cjk_font(purpose: str = "生成 PDF") -> list[str]:
    """SetupError unless a font covering Chinese is installed. Success is remembered per process."""
    key = (os.environ.get("FONTCONFIG_FILE"), os.environ.get("FONTCONFIG_PATH"))
    if key in _fonts_ok:
        return []
    fonts = find_cjk_fonts()
    if not fonts:
        raise SetupError(
            f"{purpose}需要中文字体，但本机没有安装任何支持中文的字体（`fc-list :lang=zh` 为空），"
            f"打印出来的中文会是空白方框。请运行：sudo apt-get install fonts-noto-cjk（或 `make setup`）。"
        )
    _fonts_ok.add(key)
    return fonts


class Browser:
    """A headless Chromium owned by one worker thread. Use :func:`shared_browser`, not the constructor."""

    def __init__(self, executable: str):
        self.executable = executable
        self.pid = os.getpid()
        self._jobs: queue.Queue = queue.Queue()
        self._browser = None
        self._playwright = None
        self.launches = 0
        # Whatever jobs keep between calls (e.g. a page to reuse); touched only on the worker
        # thread and emptied whenever the browser is (re)started.
        self.state: dict = {}
        self._thread = threading.Thread(target=self._work, name="nianbao-chromium", daemon=True)
        self._thread.start()

    # -- worker thread ---------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                self._shutdown()
                return
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(self._ensure()))
            except BaseException as exc:  # handed to the caller's thread
                future.set_exception(exc)

    def _ensure(self):
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        self._shutdown()
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError as exc:  # pragma: no cover - playwright is a dependency
            raise SetupError("生成 PDF 需要 Python 包 playwright：pip install playwright（或 `make setup`）。") from exc
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable, args=list(CHROMIUM_ARGS), headless=True,
                chromium_sandbox=False, timeout=60_000,
            )
        except PlaywrightError as exc:
            self._shutdown()
            raise launch_error(self.executable, exc) from exc
        self.launches += 1
        return self._browser

    def page_job(self, key: str, work: Callable[..., T], timeout: float, **context_options) -> Callable[..., T]:
        """A job for :meth:`call`: ``work(page)`` on the page kept in :attr:`state` under ``key`` — made
        on first use in a context of its own (:data:`PAGE_CONTEXT` and ``context_options``), reused by
        later jobs (a new context and page cost ~0.2 s each time). If ``work`` fails, the page and its
        context are dropped: the next job starts with a new one."""
        def job(b):
            page = self.state.get(key)
            if page is None or page.is_closed():
                context = b.new_context(**PAGE_CONTEXT, **context_options)
                context.route("**/*", lambda route: route.abort())
                page = self.state[key] = context.new_page()
            try:
                page.set_default_timeout(timeout * 1000)
                return work(page)
            except BaseException:
                self.state.pop(key, None)
                try:
                    page.context.close()
                except Exception:  # noqa: BLE001 - the page may already be gone
                    pass
                raise

        return job

    def _shutdown(self) -> None:
        for obj, method in ((self._browser, "close"), (self._playwright, "stop")):
            if obj is not None:
                try:
                    getattr(obj, method)()
                except Exception:  # noqa: BLE001 - best effort at shutdown
                    pass
        self._browser = None
        self._playwright = None
        self.state.clear()

    # -- any thread -------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., T]) -> Future:
        """Queue ``fn(browser)`` to run on the browser's thread; jobs run one at a time, in order."""
        if not self._thread.is_alive():
            raise RuntimeError("the browser thread has stopped")
        future: Future = Future()
        self._jobs.put((fn, future))
        return future

    def call(self, fn: Callable[..., T], timeout: float | None = 300) -> T:
        """Run ``fn(browser)`` on the browser's thread and return its result (or raise its error)."""
        return self.submit(fn).result(timeout)

    def close(self, timeout: float = 15) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def launch_error(executable: str, exc: BaseException) -> SetupError:
    """What to say when Chromium ``executable`` would not start (the first line of Playwright's error)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return SetupError(f"无法启动 Chromium（{executable}）：{first}。请确认已安装：{INSTALL_HINT}。")


_shared: dict[str, Browser] = {}
_shared_lock = threading.Lock()


def shared_browser(executable: str | None = None, purpose: str = "生成 PDF") -> Browser:
    """The process's browser for ``executable`` (found with :func:`find_chromium`), started on first use.

    Forked children (multiprocessing) get their own: a browser never crosses a fork.
    """
    path = find_chromium(executable, purpose)
    with _shared_lock:
        browser = _shared.get(path)
        if browser is None or browser.pid != os.getpid() or not browser.alive:
            browser = _shared[path] = Browser(path)
        return browser


def close_shared() -> None:
    """Close every browser this process started (also registered to run at exit)."""
    with _shared_lock:
        browsers = [b for b in _shared.values() if b.pid == os.getpid()]
        _shared.clear()
    for b in browsers:
        b.close()


atexit.register(close_shared)
