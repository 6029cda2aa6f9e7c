"""The narrative of a unit-year: ``data/<year>/<unit>/narrative.md``, written by the analyst.

Level-2 headings (``## 一、…`` as the form numbers and titles them) open the form's sections; text before the first heading is the
preface. Runs only read this file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .form import Form
from .yamlsource import read_text

HEADING = re.compile(r"^##\s+(.+?)\s*$")


@dataclass(frozen=True)
class Part:
    text: str
    line: int  # source line of the first text line (1-based)


@dataclass
class Narrative:
    path: Path | None
    display_path: str
    preface: Part | None = None
    sections: dict[str, Part] = field(default_factory=dict)

    def text(self, key: str) -> str:
        part = self.sections.get(key)
        return part.text if part else ""


def parse_narrative(text: str, form: Form, display: str, path: Path | None = None) -> Narrative:
    by_heading = {}
    for s in form.sections:
        for title in (s.title, *s.aliases):
            by_heading[f"{s.number}、{title}"] = s
            by_heading[title] = s
    narrative = Narrative(path=path, display_path=display)
    current: str | None = None
    buf: list[str] = []
    start = 1

    def flush() -> None:
        raw = "\n".join(buf)
        first = start + raw[: len(raw) - len(raw.lstrip("\n"))].count("\n")  # line of the first text line
        body = raw.strip("\n")
        if current is None:
            if body.strip():
                narrative.preface = Part(body, first)
        else:
            narrative.sections[current] = Part(body, first)

    for i, line in enumerate(text.splitlines(), start=1):
        m = HEADING.match(line)
        if not m:
            buf.append(line)
            continue
        flush()
        section = by_heading.get(m.group(1))
        if section is None:
            headings = "、".join(f"“## {s.heading}”" for s in form.sections)
            raise InputError(f"{display}:{i}: 不认识的章节标题 “{line.strip()}”。二级标题只能是：{headings}。")
        if section.key in narrative.sections:
            raise InputError(f"{display}:{i}: 章节 “{section.heading}” 重复出现。")
        current, buf, start = section.key, [], i + 1
    flush()
    return narrative


def load_narrative(path: Path, form: Form, display: str | None = None) -> Narrative:
    display = display or str(path)
    if not path.exists():
        return Narrative(path=None, display_path=display)
    return parse_narrative(read_text(path, display), form, display, path)


def markdown_html(text: str) -> str:
    """Markdown to HTML with every raw HTML tag escaped: analyst text always shows as text."""
    return _markdown()(text)


_md_cache = None


def _offline_renderer_class():
    import mistune

    class OfflineRenderer(mistune.HTMLRenderer):
        """Images in analyst text are shown as their description: a report never loads a remote file."""

        def image(self, text: str, url: str, title=None) -> str:
            return f'<span class="nb-image-text">［图：{text}］</span>'

    return OfflineRenderer


def _OfflineRenderer(**kwargs):
    return _offline_renderer_class()(**kwargs)


def _markdown():
    global _md_cache
    if _md_cache is None:
        import mistune

        _md_cache = mistune.create_markdown(renderer=_OfflineRenderer(escape=True), plugins=["table", "strikethrough"])
    return _md_cache


DEFAULT_DISPLAY = "nianbao 默认叙述模板"


def default_template(form: Form) -> Path:
    """The default narrative of the form's pack (``forms/<id>/narrative_default.md``)."""
    from . import forms

    path = forms.pack(form.id).default_narrative
    if path is None:
        raise InputError(f"报告格式 {form.id} 没有默认叙述模板（narrative_default.md）。请写好 narrative.md 的每一部分。")
    return path


def __getattr__(name: str):
    if name == "DEFAULT_TEMPLATE":  # the earlier constant: the default narrative of the current format
        from . import forms

        return default_template(forms.current())
    raise AttributeError(name)


@dataclass(frozen=True)
class RenderedPart:
    text: str  # Markdown with every placeholder replaced
    line: int  # source line of the first text line
    display: str  # file the text came from (the analyst's narrative or the default template)
    default: bool = False


@dataclass
class RenderedNarrative:
    preface: RenderedPart | None
    sections: dict[str, RenderedPart]

    def text(self, key: str) -> str:
        part = self.sections.get(key)
        return part.text if part else ""

    def parts(self):
        """(section key or None for the preface, part) for every rendered piece."""
        if self.preface:
            yield None, self.preface
        yield from self.sections.items()


def default_narrative(form: Form) -> Narrative:
    path = default_template(form)
    return parse_narrative(read_text(path, DEFAULT_DISPLAY), form, DEFAULT_DISPLAY, path)


def render_narrative(narrative: Narrative, figures, unit_name: str, prior=None) -> RenderedNarrative:
    """Replace placeholders (sandboxed); sections the analyst left out come from the default template."""
    from .placeholders import Namespace, render
    from .standard_text import for_form

    ns = Namespace(figures, unit_name, prior)
    ns.helpers["std"] = for_form(figures.form)(ns)
    context = ns.context()
    fallback = default_narrative(figures.form)

    def one(part: Part | None, fb: Part | None) -> RenderedPart | None:
        if part is not None and part.text.strip():
            return RenderedPart(render(part.text, context, narrative.display_path, part.line), part.line,
                                narrative.display_path)
        if fb is not None:
            return RenderedPart(render(fb.text, context, DEFAULT_DISPLAY, fb.line), fb.line, DEFAULT_DISPLAY, True)
        return None

    sections = {}
    for s in figures.form.sections:
        rendered = one(narrative.sections.get(s.key), fallback.sections.get(s.key))
        if rendered is not None:
            sections[s.key] = rendered
    return RenderedNarrative(preface=one(narrative.preface, fallback.preface), sections=sections)
