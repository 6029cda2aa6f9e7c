"""One browser for the whole batch (issue 16, item 2): the batch's print service prints every worker's
PDF in one Chromium, several at once in pages of their own, to the same bytes as an in-process print."""
from __future__ import annotations

import json
import threading
from multiprocessing import get_context

import pytest

from conftest import REPO
from nianbao import manifest as mf
from nianbao.batch.run import run_batch
from nianbao.exporters import pdf, printpool
from nianbao.exporters.pdfinspect import normalise_struct_ids
from nianbao.project import Project
from nianbao.synthetic import generate

YEAR = 2022
PAGE = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{{font-family:'Noto Serif CJK SC',serif}}</style></head><body>"
        "<h1>{title}</h1>" + "<p>政府信息公开工作年度报告，第{{n}}段。</p>" * 40 + "</body></html>")


def _remote_print(config, html, out):
    printpool.connect(config)
    out.put(pdf.print_html(html))


@pytest.mark.slow
def test_print_service_prints_like_the_process_browser_several_at_once(tmp_path):
    pages = [PAGE.format(title=f"示例{i}").replace("{n}", str(i)) for i in range(3)]
    alone = [normalise_struct_ids(pdf.print_html(p)) for p in pages]
    service = printpool.PrintService(pages=2)
    try:
        ctx = get_context("spawn")
        q = ctx.Queue()
        procs = [ctx.Process(target=_remote_print, args=(service.config, p, q)) for p in pages[:2]]
        for pr in procs:
            pr.start()
        printpool.connect(service.config)  # and this process too, at the same time
        got = {}
        t = threading.Thread(target=lambda: got.setdefault("mine", pdf.print_html(pages[2])))
        t.start()
        remote = [q.get(timeout=120) for _ in procs]
        t.join(120)
        for pr in procs:
            pr.join(30)
        assert service.launches == 1 and service.printed == 3
        # a process without the key is refused and nothing is printed for it
        from multiprocessing import AuthenticationError

        with pytest.raises(AuthenticationError):
            printpool.PrintClient(service.address, b"x" * 32).print(pages[0], pdf.pdf_options(), 30)
        assert service.printed == 3
    finally:
        printpool.connect(None)
        service.close()
    printed = [normalise_struct_ids(b) for b in remote] + [normalise_struct_ids(got["mine"])]
    norm = lambda b: mf.normalise_pdf_bytes(b)  # noqa: E731 - print-time stamps only
    assert sorted(map(norm, printed)) == sorted(map(norm, alone))


@pytest.mark.slow
def test_batch_with_pdf_uses_one_browser_for_all_workers(tmp_path):
    synth = generate(tmp_path / "p", 3, YEAR, seed=4, notebook=REPO / "notebooks" / "annual_report.ipynb")
    project = Project(synth.root)
    result = run_batch(project, YEAR, jobs=2, formats=("html", "pdf"), progress=False, print_pages=2)
    assert result.exit_code == 0, [r.message for r in result.rows]
    state = json.loads((project.outputs_dir / str(YEAR) / ".batch-state.json").read_text(encoding="utf-8"))
    assert state["last_run"]["print_service"] == {"browsers": 1, "pages": 2, "printed": len(synth.units),
                                                   "charts_drawn": 0}
    assert len({r["pid"] for r in state["units"].values()}) == 2  # both workers printed through it
    for u in synth.units:
        data = (project.output_dir(u.id, YEAR) / "report.pdf").read_bytes()
        assert data.startswith(b"%PDF-") and b"/Outlines" in data
    from nianbao.verify import verify

    assert verify(project.outputs_dir / str(YEAR)).failures == []


def _service_chromium(root_pid: int):
    """(command line of the print service's browser process, command lines of its descendants)."""
    import psutil

    for p in psutil.Process(root_pid).children(recursive=True):
        try:
            cmd = p.cmdline()
        except psutil.Error:
            continue
        if cmd and "chrom" in cmd[0] and "--renderer-process-limit=1" in cmd and not any(a.startswith("--type=") for a in cmd):
            kids = []
            for k in p.children(recursive=True):
                try:
                    kids.append(k.cmdline())
                except psutil.Error:
                    pass
            return cmd, kids
    raise AssertionError("no print-service Chromium among this process's children")


def _switch_values(cmd: list[str], name: str) -> list[set[str]]:
    prefix = f"--{name}="
    return [set(a[len(prefix):].split(",")) - {""} for a in cmd if a.startswith(prefix)]


@pytest.mark.slow
def test_print_service_pages_share_one_renderer_and_keep_playwrights_features(tmp_path):
    """Two reports in print at once, in one renderer process; the service's feature switches (Chromium
    reads only the last of each) still carry every feature Playwright itself switches."""
    import os

    pages = [PAGE.format(title=f"并行{i}").replace("{n}", str(i)) for i in range(2)]
    service = printpool.PrintService(pages=2)
    try:
        clients = [printpool.PrintClient(service.address, service.authkey) for _ in pages]
        got: dict[int, bytes] = {}
        threads = [threading.Thread(target=lambda i=i: got.__setitem__(i, clients[i].print(pages[i], pdf.pdf_options(), 60)))
                   for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sorted(got) == [0, 1] and all(b.startswith(b"%PDF-") for b in got.values())
        browser, kids = _service_chromium(os.getpid())
        renderers = [c for c in kids if "--type=renderer" in c]
        assert len(renderers) == 1, [" ".join(a for a in c if a.startswith("--type")) for c in kids]
        for switch in ("disable-features", "enable-features"):
            lists = _switch_values(browser, switch)
            assert len(lists) >= 1
            effective = lists[-1]
            for earlier in lists[:-1]:  # Playwright's own, which the last one replaces
                assert earlier <= effective, (switch, sorted(earlier - effective))
        disabled = _switch_values(browser, "disable-features")[-1]
        assert set(printpool.SERVICE_DISABLED_FEATURES) <= disabled
    finally:
        service.close()


@pytest.mark.slow
def test_print_service_draws_word_charts_like_the_process_browser():
    """The Word exporter's chart pictures, drawn by the batch's browser, are the bytes drawn in-process."""
    from nianbao.exporters import chartpng

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="240" height="90" viewBox="0 0 240 90">'
           '<rect x="10" y="40" width="{w}" height="16" fill="#1f4e79"/>'
           "<text x=\"10\" y=\"24\" font-family=\"'Noto Serif CJK SC',serif\" font-size=\"14\">{label}</text></svg>")
    charts = [(svg.format(w=w, label=label), (240.0, 90.0)) for w, label in ((150, "予以公开"), (60, "部分公开"))]
    alone = chartpng.draw(charts, text="予以公开部分公开")
    service = printpool.PrintService(pages=2)
    try:
        printpool.connect(service.config)
        drawn = chartpng.draw(charts, text="予以公开部分公开")
        assert service.drawn == 2 and service.printed == 0
    finally:
        printpool.connect(None)
        service.close()
    assert [chartpng.png_size(p) for p in drawn] == [(480, 180), (480, 180)]
    assert drawn == alone and drawn[0] != drawn[1]
