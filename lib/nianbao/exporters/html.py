"""``nianbao_html``: one self-contained HTML page showing the report, no code and no prompts.

Usable outside the kit: ``jupyter nbconvert --to nianbao_html report.ipynb``.
"""
from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import TemplateExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets import default

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={NOTEBOOK_ONLY_TAG}, remove_input_tags={"parameters"}), enabled=True
        )
