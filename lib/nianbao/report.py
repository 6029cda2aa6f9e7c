"""The report a notebook shows: one unit's year, as blocks of HTML in the national form's order.

The notebook calls :func:`open_report` once, then one method per block; each returns an
:class:`HTMLBlock` that Jupyter displays as HTML (and as plain text in the executed notebook).
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from .figures import Figures
from .form import Form
from .outputs import EVIDENCE_TAG
from .narrative import Narrative, RenderedNarrative, load_narrative, markdown_html, render_narrative
from .present.blocks import HTMLBlock
from .project import Project
from .prior import PriorYear, load_prior
from .rollup import load_unit_figures
from .tables_html import table_html
from .units import Unit, UnitRegistry

NOT_WRITTEN = "（本节尚未撰写。）"


@dataclass
class Report:
    project: Project
    unit: Unit
    year: int
    form: Form
    figures: Figures
    narrative: Narrative  # the analyst's source, as written
    rendered: RenderedNarrative  # placeholders replaced, defaults filled in
    prior_year: PriorYear = PriorYear()  # the same unit's year before (figures, or why there are none)
    registry: UnitRegistry | None = None
    publication: object | None = None  # nianbao.publication.Publication: the 落款 (issuing body, date)

    @property
    def prior(self) -> Figures | None:
        """The same unit's figures for the year before, when they exist and are comparable."""
        return self.prior_year.figures

    @property
    def title_text(self) -> str:
        return self.form.report_title(self.unit.name, self.year)

    def title(self) -> HTMLBlock:
        html = (
            '<header class="nb-title">'
            f'<p class="nb-unit">{escape(self.unit.name)}</p>'
            f"<h1>{escape(str(self.year))}年{escape(self.form.title)}</h1>"
            "</header>"
        )
        if self.rendered.preface:
            html += f'<div class="nb-preface">{markdown_html(self.rendered.preface.text)}</div>'
        return HTMLBlock(html, self.title_text)

    def section(self, key: str) -> HTMLBlock:
        """A section of the form: its heading, the analyst's text and, for 二–四, the table."""
        section = self.form.section(key)
        parts = [f'<section class="nb-section" id="section-{key}">', f"<h2>{escape(section.heading)}</h2>"]
        text = self.rendered.text(key)
        if text.strip():
            parts.append(f'<div class="nb-narrative">{markdown_html(text)}</div>')
        elif not section.table:
            parts.append(f'<p class="nb-missing">{escape(NOT_WRITTEN)}</p>')
        if section.table:
            table = self.form.table(section.table)
            parts.append(f'<div class="nb-table-wrap">{table_html(table, self.figures.values[table.key])}</div>')
        parts.append("</section>")
        return HTMLBlock("".join(parts), section.heading)

    def signature(self) -> HTMLBlock:
        """The 落款: issuing body and publication date, as declared in publication.yaml (never the clock)."""
        from .publication import load_publication, signature_html

        pub = self.publication or load_publication(self.project, self.unit, self.year)
        return HTMLBlock(signature_html(pub), f"{pub.issuer}\n{pub.date_text}")

    # Integration points filled by their own modules (validation, provenance). Each returns an
    # HTMLBlock and may add machine-readable data to the block's mime bundle. Blocks for the auditor
    # are tagged "evidence": they go to evidence.html and stay out of the publication.
    def banner(self) -> HTMLBlock:
        """Under the title: a failing report's 未通过校验 banner (in the publication, so it cannot be
        posted by mistake); a passing report's one-line status goes to the evidence only."""
        from .present.validation import banner_block
        from .validation import validate_report

        result = validate_report(self)
        block = banner_block(result)
        return block if result.status_code == "failed" else block.tagged(EVIDENCE_TAG)

    def sources(self) -> HTMLBlock:
        """For a unit compiled from its children: which reports its tables were summed from."""
        from .present.rollup import sources_block

        return sources_block(self).tagged(EVIDENCE_TAG)

    def year_over_year(self) -> HTMLBlock:
        """Key figures and charts against last year, for a unit with ``year_over_year: true`` (else empty)."""
        from .yoy import yoy_block

        return yoy_block(self)

    def validation(self) -> HTMLBlock:
        """The validation section: summary and every finding."""
        from .present.validation import report_section

        return report_section(self).tagged(EVIDENCE_TAG)

    def appendix(self) -> HTMLBlock:
        """The provenance appendix: what the report was made from."""
        from .present.provenance import appendix_block

        return appendix_block(self).tagged(EVIDENCE_TAG)


def open_report(unit: str, year: int, project_dir: str | Path | None = None, *, strict: bool = True) -> Report:
    """Load everything one unit-year's report needs. Paths are relative to the working directory."""
    project = Project.find(project_dir) if project_dir is None else Project(Path(project_dir).resolve())
    return load_report(project, unit, year, strict=strict)


def load_report(project: Project, unit: str, year: int, *, strict: bool = True, registry=None) -> Report:
    """Read and check every input of a unit-year (figures, narrative with its placeholders rendered,
    prior year); raises InputError naming the file and place of the first defect."""
    registry = registry if registry is not None else project.units()
    unit_obj = registry.get(unit)
    # A roll-up unit's tables are its children's sums; any other unit's come from its own file.
    figures = load_unit_figures(project, unit, int(year), registry=registry, strict=strict)
    nar_path = project.narrative_file(unit, year)
    narrative = load_narrative(nar_path, figures.form, display=project.rel(nar_path))
    prior = load_prior(project, unit, int(year), figures.form, rollup=unit_obj.rollup, registry=registry)
    rendered = render_narrative(narrative, figures, unit_obj.name, prior.figures)
    from .publication import load_publication  # the 落款: a malformed publication.yaml stops here, before any kernel

    publication = load_publication(project, unit_obj, int(year))
    return Report(project=project, unit=unit_obj, year=int(year), form=figures.form, figures=figures,
                  narrative=narrative, rendered=rendered, prior_year=prior, registry=registry,
                  publication=publication)
