"""Provenance of a report (placeholder until the audit-evidence work lands)."""
from __future__ import annotations


def appendix_block(report):
    from .report import HTMLBlock

    return HTMLBlock("", "")
