"""``validation.json`` beside the report: extracted from the executed notebook by the runner.

Light on purpose (json only): the runner imports this in the parent process, which must not import
pandas or Great Expectations. The report's validation section carries the result in its mime bundle
under :data:`MIME`; :func:`extract_validation_json` writes it back out as deterministic bytes.
"""
from __future__ import annotations

import json
from pathlib import Path

MIME = "application/vnd.nianbao.validation+json"
FILENAME = "validation.json"


def dumps(data: dict) -> bytes:
    """Deterministic JSON bytes: sorted keys, UTF-8 (not \\u escapes), two-space indent, final newline."""
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def extract_validation_json(nb) -> bytes | None:
    """The validation result shown in an executed report notebook, or None when it shows none."""
    found = None
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else ():
            data = output.get("data") or {}
            if MIME in data:
                found = data[MIME]
    if found is None:
        return None
    if isinstance(found, str):  # some front ends store JSON mime data as text
        found = json.loads(found)
    return dumps(found)


def read_status(path: str | Path) -> tuple[str, dict[str, int]]:
    """(status_code, counts) of a saved ``validation.json``: status_code is passed | warning | failed."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["status_code"], data["counts"]
