"""The presentation layer: HTML blocks the report notebook shows, built from the data modules'
results. Data modules (figures, rollup, validation, provenance, manifest …) never import this
package; the import contract in ``pyproject.toml`` (``[tool.importlinter]``) keeps it that way.

- :mod:`.blocks` — :class:`HTMLBlock`, what every notebook block returns;
- :mod:`.validation` — the validation banner and section;
- :mod:`.rollup` — the list of children a roll-up unit's tables were compiled from;
- :mod:`.provenance` — the appendix “附：报告来源记录”.
"""
