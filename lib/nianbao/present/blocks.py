"""A piece of the report as Jupyter shows it: HTML, a plain-text stand-in, and extra mime data."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HTMLBlock:
    """A piece of the report. ``text`` is a plain-text stand-in kept in the notebook for readers."""

    html: str
    text: str
    data: dict = field(default_factory=dict)  # extra mime types, e.g. machine-readable results

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html, "text/plain": self.text, **self.data}

    def __str__(self) -> str:
        return self.html
