"""``nianbao_html``: one self-contained HTML page showing the report, no code and no prompts.

Usable outside the kit: ``jupyter nbconvert --to nianbao_html report.ipynb``.
"""
from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import TemplateExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from traitlets import Set, Unicode, default

from ..outputs import EVIDENCE_TAG

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
NOTEBOOK_ONLY_TAG = "notebook-only"  # cells kept in the notebook as evidence, left out of the report


class ReportHTMLExporter(TemplateExporter):
    export_from_notebook = "nianbao report (HTML)"
    output_mimetype = "text/html"

    @default("file_extension")
    def _file_extension_default(self):
        return ".html"

    @default("template_name")
    def _template_name_default(self):
        return "nianbao_report"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self):
        return [str(TEMPLATES)]

    @default("exclude_input")
    def _exclude_input_default(self):
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True

    @default("optimistic_validation")
    def _optimistic_validation_default(self):
        # nbconvert validates the whole notebook after each of its ~12 preprocessors (most of them
        # disabled); once, after the last, is what it offers for this: ~5 ms per validation saved.
        return True

    audience = "publication"
    # Exporters that print or convert this page (PDF, Word) render the same HTML first: given that
    # HTML (``finish_html``), a run that writes both renders it once (nianbao.runner.export).
    renders_report_html = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The publication: everything but the notebook's own notes and the evidence (cells or single
        # outputs tagged "evidence": validation, sources, provenance), as nbconvert's tag filter reads tags.
        self.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={NOTEBOOK_ONLY_TAG, EVIDENCE_TAG},
                                  remove_single_output_tags={EVIDENCE_TAG},
                                  remove_input_tags={"parameters"}), enabled=True
        )

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = self.report_html(nb, resources, **kw)
        return self.finish_html(html, nb, resources)

    def report_html(self, nb, resources=None, **kw):
        """The report's HTML page (what ``nianbao_html`` writes) and nbconvert's resources."""
        resources = dict(resources or {})
        resources["nianbao_audience"] = self.audience
        return TemplateExporter.from_notebook_node(self, nb, resources=resources, **kw)

    def finish_html(self, html, nb, resources):
        """This exporter's output from the report's HTML page (the page itself for HTML)."""
        return html, resources


class KeepTaggedPreprocessor(Preprocessor):
    """The complement of TagRemovePreprocessor's filter: keep only the cells tagged ``keep_tags`` and,
    in other code cells, only the outputs tagged so (``output.metadata.tags``)."""

    keep_tags = Set(Unicode(), default_value={EVIDENCE_TAG}).tag(config=True)

    def preprocess(self, nb, resources):
        kept = []
        for cell in nb.cells:
            if self.keep_tags.intersection(cell.get("metadata", {}).get("tags", [])):
                kept.append(cell)
            elif cell.cell_type == "code":
                outs = [o for o in cell.get("outputs", [])
                        if self.keep_tags.intersection(o.get("metadata", {}).get("tags", []))]
                if outs:
                    cell.outputs = outs
                    kept.append(cell)
        nb.cells = kept
        return nb, resources


class EvidenceHTMLExporter(ReportHTMLExporter):
    """``nianbao_evidence``: the auditor's page — validation results, sources, provenance — from the
    same executed notebook: only its cells and outputs tagged "evidence"."""

    export_from_notebook = "nianbao evidence (HTML)"
    audience = "evidence"
    renders_report_html = False  # its own page: the evidence cells only

    def __init__(self, *args, **kwargs):
        TemplateExporter.__init__(self, *args, **kwargs)
        self.register_preprocessor(KeepTaggedPreprocessor(keep_tags={EVIDENCE_TAG}), enabled=True)
