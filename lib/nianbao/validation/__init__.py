"""Validation of a unit-year's figures (placeholder until the expectation suites land)."""
from __future__ import annotations


def banner_block(report):
    from ..report import HTMLBlock

    return HTMLBlock("", "")


def section_block(report):
    from ..report import HTMLBlock

    return HTMLBlock("", "")
