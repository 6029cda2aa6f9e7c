"""The shortcuts the batch takes for speed (issue 16) give what the plain way gives.

- An nbconvert exporter kept for a whole worker (template compiled once) writes the same bytes as a
  new exporter per report, whatever report it exported before.
- The report's HTML rendered once for every format made from it (nianbao.runner.export ``shared``)
  is the page ``nianbao_html`` writes.
- Provenance looks up the kit's source and the package versions once per process.
"""
from __future__ import annotations

import nbformat
import pytest
from nbconvert.exporters import get_exporter

from conftest import REPO
from nianbao import provenance, runner
from nianbao.batch.run import run_batch
from nianbao.project import Project
from nianbao.synthetic import generate

YEAR = 2022


@pytest.fixture(scope="module")
def batch_outputs(tmp_path_factory):
    synth = generate(tmp_path_factory.mktemp("speed") / "p", 3, YEAR, seed=11,
                     notebook=REPO / "notebooks" / "annual_report.ipynb")
    project = Project(synth.root)
    result = run_batch(project, YEAR, jobs=1, formats=("html",), progress=False, dashboard=False)
    assert result.exit_code == 0, [r.message for r in result.rows]
    return [project.output_dir(u.id, YEAR) for u in synth.units]


def test_kept_exporters_write_what_new_exporters_write(batch_outputs):
    """The batch's one worker exported the three units with the same exporter objects; a new
    exporter per report gives the same bytes, for the report and for the evidence page."""
    assert len(batch_outputs) == 3
    bodies = set()
    for out in batch_outputs:
        nb = nbformat.read(out / "report.ipynb", as_version=4)
        for exporter, name in (("nianbao_html", "report.html"), ("nianbao_evidence", "evidence.html")):
            fresh, _ = get_exporter(exporter)().from_notebook_node(nb)
            assert (out / name).read_bytes() == fresh.encode("utf-8"), (out.name, name)
            bodies.add(fresh)
    assert len(bodies) == 6  # three different units: nothing of one report leaked into another


def test_report_html_is_rendered_once_for_the_formats_made_from_it(batch_outputs, monkeypatch):
    nb = nbformat.read(batch_outputs[0] / "report.ipynb", as_version=4)
    from nianbao.exporters.html import ReportHTMLExporter

    calls = []
    real = ReportHTMLExporter.report_html
    monkeypatch.setattr(ReportHTMLExporter, "report_html",
                        lambda self, *a, **k: calls.append(type(self).__name__) or real(self, *a, **k))
    shared: dict = {}
    html = runner.export(nb, "html", shared=shared)
    assert html == (batch_outputs[0] / "report.html").read_bytes()
    # a second format made from the report's page (here the HTML itself again) reuses the rendering
    assert runner.export(nb, "html", shared=shared) == html
    assert calls == ["ReportHTMLExporter"]
    # the evidence page is a page of its own: rendered, not taken from the report's
    assert runner.export(nb, "evidence", shared=shared) == (batch_outputs[0] / "evidence.html").read_bytes()
    assert runner._report_html_split(runner._exporter("nianbao_evidence")) is None
    # the Word file is made from the report's page too; an exporter that overrides from_notebook_node
    # (e.g. one an outside package registers) is run whole
    assert runner._report_html_split(runner._exporter("nianbao_docx")) is not None

    class Own(ReportHTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            return "own", {}

    assert runner._report_html_split(Own()) is None


def test_pdf_exporter_prints_the_report_html(monkeypatch, batch_outputs):
    """The PDF exporter prints exactly nianbao_html's page (so the runner may hand it that page)."""
    from nianbao.exporters import pdf

    nb = nbformat.read(batch_outputs[1] / "report.ipynb", as_version=4)
    printed = []
    monkeypatch.setattr(pdf, "print_html", lambda html, **kw: printed.append(html) or b"%PDF-1.7\n%%EOF\n")
    exporter = get_exporter("nianbao_pdf")()
    exporter.check_glyphs = False
    exporter.from_notebook_node(nb)
    assert printed == [(batch_outputs[1] / "report.html").read_text(encoding="utf-8")]


def test_kit_facts_are_looked_up_once_per_process(monkeypatch):
    calls = []
    real = provenance.git_state
    monkeypatch.setattr(provenance, "git_state", lambda path: calls.append(path) or real(path))
    monkeypatch.setattr(provenance, "_PROCESS_FACTS", {})
    first = provenance.kit_info()
    first["git_commit"] = "changed by the caller"
    second = provenance.kit_info()
    assert len(calls) == 1 and second["git_commit"] != "changed by the caller"  # a copy each time
    assert set(second) == {"version", "git_commit", "git_dirty", "source_sha256"}
    third = provenance.kit_info(cached=False)
    assert len(calls) == 2 and third == second
    assert provenance.package_versions() is not provenance.package_versions()
    assert provenance.package_versions()["papermill"] == __import__("papermill").__version__
