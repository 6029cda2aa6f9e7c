"""One Chromium for a whole batch: a print service the batch's workers send their reports to.

A batch that prints PDFs would otherwise start one Chromium per worker process — each with its own
renderer, GPU and utility processes and its own mapping of the CJK fonts: memory grows with the
number of workers. :class:`PrintService` runs in the batch's own process: one headless Chromium
(driven by Playwright's async API on a thread of its own) with a fixed number of pages in one
browser context and one renderer process, so that several reports print at once, each in its page,
while the memory stays that of one renderer whatever the number of pages. Workers reach it
through a local socket (``multiprocessing.connection``, AF_UNIX in a private temporary folder, with an
authentication key): no network, not even loopback.

Worker side: :func:`connect` (called once per worker, from the batch's worker config) makes
:func:`nianbao.exporters.pdf.print_html` send its page here instead of starting a browser. The page is
printed exactly as :func:`nianbao.exporters.pdf.print_html` prints it in-process (same options, same
page set-up), so the PDF is the same either way. The Word exporter's charts are drawn here too
(:func:`nianbao.exporters.chartpng.draw`), so a batch with Word files starts no browser per worker. The Dask executor does not use the service: each
Dask worker keeps a browser of its own (:mod:`nianbao.exporters.browser`), the pool per Dask worker.
"""
from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import threading
from multiprocessing.connection import Client, Listener
from pathlib import Path

from ..errors import SetupError

_CLIENT: "PrintClient | None" = None
# Two reports in print at once keep both CPUs of a small machine busy: while one page is laid out in
# the renderer, the other's PDF is being written by the print compositor. Measured on Chromium 156
# with Noto CJK (benchmarks/README.md): one page printed one report every 0.36-0.63 s, two pages one
# every 0.22-0.25 s, at the same ~0.28 s of Chromium CPU per report.
DEFAULT_PAGES = 2
# Chromium reads only the last --enable-features/--disable-features it is given, and Playwright puts
# its own lists first: ours repeat Playwright's (1.65; tests/test_batch_print.py checks that none of
# the features Playwright switches is dropped) and add the service's.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding", "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect", "TcpPortRandomizationWin", "OptimizationHints",
    "NetworkTimeServiceQuerying", "AimEnabled", "PreconnectToSearch", "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion")
PLAYWRIGHT_ENABLED_FEATURES = ("CDPScreenshotNewSurface", "SkipListAccountsWithoutGaiaCookies")
# What a print service does not need, each a process (and its share of memory) fewer: the audio
# service; the spare renderer Chromium keeps started for the next site (~110 MB); the WebUI omnibox
# popup each browser context preloads in a renderer of its own (~190 MB).
SERVICE_DISABLED_FEATURES = ("AudioServiceOutOfProcess", "SpareRendererForSitePerProcess", "WebUIOmniboxPopup",
                             "WebUIOmniboxFullPopup", "WebUIOmniboxAimPopup")
SERVICE_ENABLED_FEATURES = ("NetworkServiceInProcess2", "NetworkServiceInProcess")
# GPU and network services inside the browser process, and one renderer process for every page (all
# pages are ours, scripts off, network refused): the summed RSS of the browser's processes is then
# ~0.9 GB with two pages, against ~1.5 GB with a renderer per page. The zygotes stay (~140 MB): each
# report's print compositor is a new process, and forked from a zygote it costs ~0.04 s less CPU than
# started with --no-zygote. The printed bytes are the same as in-process printing (tests/test_batch_print.py).
SERVICE_ARGS = ("--in-process-gpu", "--renderer-process-limit=1",
                "--enable-features=" + ",".join(PLAYWRIGHT_ENABLED_FEATURES + SERVICE_ENABLED_FEATURES),
                "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + SERVICE_DISABLED_FEATURES))


class PrintService:
    """One Chromium with ``pages`` pages, serving print requests from other processes of this batch."""

    def __init__(self, pages: int = DEFAULT_PAGES, executable: str | None = None):
        from . import browser as _browser

        _browser.require_cjk_font()
        self.executable = _browser.find_chromium(executable)
        self.size = max(1, int(pages))
        self.folder = Path(tempfile.mkdtemp(prefix="nianbao-print-"))
        os.chmod(self.folder, 0o700)
        self.address = str(self.folder / "print.sock")
        self.authkey = secrets.token_bytes(32)
        self.listener = Listener(self.address, family="AF_UNIX", authkey=self.authkey)
        self.loop = asyncio.new_event_loop()
        self.launches = 0
        self.printed = 0
        self.drawn = 0  # chart pictures
        self._closing = False
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop_thread = threading.Thread(target=self._run_loop, name="nianbao-print-loop", daemon=True)
        self._loop_thread.start()
        self._accept_thread = threading.Thread(target=self._accept, name="nianbao-print-accept", daemon=True)
        self._accept_thread.start()

    @property
    def config(self) -> dict:
        """What a worker needs to reach the service (see :func:`connect`)."""
        return {"address": self.address, "authkey": self.authkey.hex()}

    # -- the browser's thread (asyncio) ---------------------------------------------------------------
    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to the first request
            self._error = exc
        finally:
            self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        self._browser = None
        self._context = None
        self._pages: asyncio.Queue = asyncio.Queue()  # idle pages of the current browser
        self._launch_lock = asyncio.Lock()
        self._chart_lock = asyncio.Lock()
        self._chart_pages: dict = {}  # device scale → page of the current browser
        await self._launch()

    async def _launch(self) -> None:
        from playwright.async_api import Error as PlaywrightError

        from . import browser as _browser

        try:
            self._browser = await self._pw.chromium.launch(
                executable_path=self.executable, args=[*_browser.CHROMIUM_ARGS, *SERVICE_ARGS], headless=True,
                chromium_sandbox=False, timeout=60_000)
        except PlaywrightError as exc:
            raise _browser.launch_error(self.executable, exc) from exc
        self.launches += 1
        self._chart_pages = {}
        # One context for every page (a context preloads browser UI of its own): the pages share it and,
        # with --renderer-process-limit=1, one renderer process.
        self._context = await self._browser.new_context(**_browser.PAGE_CONTEXT)
        await self._context.route("**/*", lambda route: route.abort())
        while not self._pages.empty():  # pages of an earlier browser
            self._pages.get_nowait()
        for _ in range(self.size):
            self._pages.put_nowait(await self._new_page())

    async def _new_page(self):
        return await self._context.new_page()

    async def _ensure_browser(self) -> None:
        async with self._launch_lock:
            if self._browser is None or not self._browser.is_connected():
                await self._launch()

    async def _drop_browser(self) -> None:
        """Close a browser that cannot give a new page; the next print starts another."""
        browser, self._browser = self._browser, None
        if browser is not None:
            try:
                await browser.close()
            except Exception:  # noqa: BLE001 - already gone
                pass

    async def _print(self, html: str, options: dict, timeout: float) -> bytes:
        if self._browser is None or not self._browser.is_connected():
            await self._ensure_browser()
        page = await self._pages.get()
        try:
            page.set_default_timeout(timeout * 1000)
            await page.set_content(html, wait_until="load")
            data = await page.pdf(**options)
        except BaseException:
            try:
                await page.close()
            except Exception:  # noqa: BLE001 - the page (or the browser) may be gone already
                pass
            try:
                page = await self._new_page() if self._browser is not None and self._browser.is_connected() else None
            except Exception:  # noqa: BLE001 - the context is gone: a new browser brings new pages
                page = None
            if page is None:
                await self._drop_browser()
            raise
        finally:
            if page is not None and page.context is self._context:  # not a page of a closed browser
                self._pages.put_nowait(page)
        self.printed += 1
        return data

    async def _draw(self, charts, context_options: dict, screenshot: dict, timeout: float) -> list[bytes]:
        """Screenshots of ``charts`` ([(page HTML, (width, height) px)]) in a page of ``context_options``,
        with ``screenshot`` options — what :func:`nianbao.exporters.chartpng.draw` sends, as it takes them
        in-process (the service takes the options from the request, as it takes a print's PDF options)."""
        import json

        if self._browser is None or not self._browser.is_connected():
            await self._ensure_browser()
        from . import browser as _browser

        key = json.dumps(context_options, sort_keys=True)
        async with self._chart_lock:  # one chart page per set of options, one document's charts at a time
            page = self._chart_pages.get(key)
            if page is None or page.is_closed():
                context = await self._browser.new_context(**_browser.PAGE_CONTEXT, **context_options)
                await context.route("**/*", lambda route: route.abort())
                page = self._chart_pages[key] = await context.new_page()
            try:
                page.set_default_timeout(timeout * 1000)
                out = []
                for html, (w, h) in charts:
                    await page.set_viewport_size({"width": w, "height": h})
                    await page.set_content(html, wait_until="load")
                    out.append(await page.screenshot(**screenshot))
            except BaseException:
                self._chart_pages.pop(key, None)
                try:
                    await page.context.close()
                except Exception:  # noqa: BLE001
                    pass
                raise
        self.drawn += len(out)
        return out

    async def _stop(self) -> None:
        for obj, method in ((getattr(self, "_browser", None), "close"), (getattr(self, "_pw", None), "stop")):
            if obj is not None:
                try:
                    await getattr(obj, method)()
                except Exception:  # noqa: BLE001
                    pass

    # -- connections (one thread each) ------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closing:
            try:
                conn = self.listener.accept()
            except Exception:  # closed, or a client that failed authentication
                if self._closing:
                    return
                continue
            threading.Thread(target=self._serve, args=(conn,), name="nianbao-print-conn", daemon=True).start()

    def _serve(self, conn) -> None:
        self._ready.wait()
        with conn:
            while True:
                try:
                    request = conn.recv()
                except (EOFError, OSError):
                    return
                try:
                    if self._error is not None:
                        raise self._error
                    if request[0] == "draw":  # ("draw", [(page html, (w, h)), …], context, screenshot, timeout)
                        _, charts, context_options, screenshot, timeout = request
                        work = self._draw(charts, context_options, screenshot, timeout)
                    else:
                        html, options, timeout = request
                        work = self._print(html, options, timeout)
                    future = asyncio.run_coroutine_threadsafe(work, self.loop)
                    reply = ("ok", future.result(timeout + 30))
                except SetupError as exc:
                    reply = ("setup", str(exc))
                except BaseException as exc:  # noqa: BLE001 - handed to the worker, which raises it
                    reply = ("error", f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}")
                try:
                    conn.send(reply)
                except (OSError, ValueError):
                    return

    def close(self) -> None:
        self._closing = True
        try:
            self.listener.close()
        except Exception:
            pass
        if self.loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(20)
            except Exception:
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._loop_thread.join(10)
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# Worker side


class PrintClient:
    def __init__(self, address: str, authkey: bytes):
        self.address = address
        self.authkey = authkey
        self._conn = None
        self._lock = threading.Lock()

    def print(self, html: str, options: dict, timeout: float) -> bytes:
        return self._request((html, options, timeout))

    def draw(self, charts: list, context_options: dict, screenshot: dict, timeout: float) -> list[bytes]:
        """PNG screenshots of ``charts`` ([(page HTML, (width, height) px)]), see nianbao.exporters.chartpng."""
        return self._request(("draw", [(html, tuple(box)) for html, box in charts], dict(context_options),
                              dict(screenshot), timeout))

    def _request(self, message):
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None:
                        self._conn = Client(self.address, family="AF_UNIX", authkey=self.authkey)
                    self._conn.send(message)
                    kind, value = self._conn.recv()
                    break
                except (OSError, EOFError) as exc:
                    self._conn = None
                    if attempt == 2:
                        raise SetupError(f"批量运行的打印服务（{self.address}）无法连接：{exc}。"
                                         "请重新运行批量命令。") from exc
        if kind == "ok":
            return value
        if kind == "setup":
            raise SetupError(value)
        raise RuntimeError(f"打印服务打印失败：{value}")


def connect(config: dict | None) -> None:
    """Make this process print through the batch's service (``config``: :attr:`PrintService.config`);
    None: print with a browser of this process's own."""
    global _CLIENT
    _CLIENT = PrintClient(config["address"], bytes.fromhex(config["authkey"])) if config else None


def client() -> PrintClient | None:
    return _CLIENT
