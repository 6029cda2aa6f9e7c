"""The narrative of a unit-year: ``data/<year>/<unit>/narrative.md``, written by the analyst.

Level-2 headings (``## 一、总体情况``) open the form's sections; text before the first heading is the
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
        by_heading[s.heading] = s
        by_heading[s.title] = s
    narrative = Narrative(path=path, display_path=display)
    current: str | None = None
    buf: list[str] = []
    start = 1

    def flush() -> None:
        body = "\n".join(buf).strip("\n")
        if current is None:
            if body.strip():
                narrative.preface = Part(body, start)
        else:
            narrative.sections[current] = Part(body, start)

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


def _markdown():
    global _md_cache
    if _md_cache is None:
        import mistune

        _md_cache = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    return _md_cache
