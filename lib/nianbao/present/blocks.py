"""A piece of the report as Jupyter shows it: HTML, a plain-text stand-in, and extra mime data."""
from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class HTMLBlock:
    """A piece of the report. ``text`` is a plain-text stand-in kept in the notebook for readers."""

    html: str
    text: str
    data: dict = field(default_factory=dict)  # extra mime types, e.g. machine-readable results
    tags: tuple[str, ...] = ()  # output tags (output.metadata.tags), e.g. "evidence": not in the publication

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/html": self.html, "text/plain": self.text, **self.data}
        return (bundle, {"tags": list(self.tags)}) if self.tags else bundle

    def tagged(self, *tags: str) -> "HTMLBlock":
        return replace(self, tags=tuple(dict.fromkeys(self.tags + tags)))

    def __str__(self) -> str:
        return self.html
