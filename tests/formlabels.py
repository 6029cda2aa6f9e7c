"""Finds a form's keys and printed labels typed outside its form pack (used by test_form_labels.py).

What counts as retyped, in a file of ``lib/`` outside ``lib/nianbao/forms/<pack>/``:

- a table or row key of any registered form as a whole Python string literal (``"table3"``,
  ``"carried_forward"``), in ``.py`` files — found with :mod:`ast`, so comments and identifiers
  do not count;
- a printed label (table, block, row, row group, column, column group, section title, the form's
  document number) as text in any file (``.py``, ``.yaml``, ``.md``, ``.j2``, ``.json``, ``.css``):
  labels of four or more characters anywhere, shorter ones (规章, 总计, 其他 …) only as a whole string
  literal or between quotes such as “…” 「…」.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".md", ".j2", ".json", ".css", ".txt"}
QUOTES = (("“", "”"), ("「", "」"), ("'", "'"), ('"', '"'))


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    what: str  # "key" | "label"
    text: str
    form: str


def vocabulary(packs) -> tuple[dict[str, set], dict[str, set]]:
    """({key: {form ids}}, {label: {form ids}}) over the given form packs."""
    keys: dict[str, set] = {}
    labels: dict[str, set] = {}
    for pack in packs:
        form = pack.form
        for t in form.tables:
            keys.setdefault(t.key, set()).add(form.id)
            words = [t.title]
            for r in t.rows:
                keys.setdefault(r.key, set()).add(form.id)
                words += [r.label, *r.groups]
                words += [c.label for c in r.columns] + [c.group for c in r.columns if c.group]
            words += [b.label for b in t.blocks]
            words += [x for x in (t.note, t.column_header, t.item_header) if x]
            for w in words:
                labels.setdefault(w, set()).add(form.id)
        for s in form.sections:
            labels.setdefault(s.title, set()).add(form.id)
        labels.setdefault(form.document, set()).add(form.id)
    return keys, labels


def _literals(source: str):
    """(line, text) of every string constant in Python source (f-string parts included)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def scan(root: Path, packs, *, exclude: tuple[Path, ...] = (), allowed: dict | None = None) -> list[Hit]:
    """Every retyped key or label under ``root`` (files under ``exclude`` are skipped)."""
    keys, labels = vocabulary(packs)
    allowed = allowed or {}
    long_labels = sorted((w for w in labels if len(w) >= 4), key=len, reverse=True)
    short_labels = [w for w in labels if len(w) < 4]
    hits: list[Hit] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES or "__pycache__" in path.parts:
            continue
        if any(path.is_relative_to(e) for e in exclude):
            continue
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if path.suffix == ".py":
            for lineno, value in _literals(text):
                if value in keys and value not in allowed.get(rel, ()):
                    hits.append(Hit(rel, lineno, "key", value, "、".join(sorted(keys[value]))))
                if value in short_labels and value not in allowed.get(rel, ()):
                    hits.append(Hit(rel, lineno, "label", value, "、".join(sorted(labels[value]))))
        for i, line in enumerate(lines, start=1):
            for w in long_labels:
                if w in line and w not in allowed.get(rel, ()):
                    hits.append(Hit(rel, i, "label", w, "、".join(sorted(labels[w]))))
            for w in short_labels:
                if w in allowed.get(rel, ()):
                    continue
                if any(f"{a}{w}{b}" in line for a, b in QUOTES):
                    hits.append(Hit(rel, i, "label", w, "、".join(sorted(labels[w]))))
    return sorted(set(hits), key=lambda h: (h.path, h.line, h.text))
