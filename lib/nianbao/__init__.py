"""nianbao (年报): reproducible 政府信息公开工作年度报告 from figures, narrative and the national form."""
from __future__ import annotations

import os

# Offline and private by default: no usage analytics from Great Expectations, in this process and in
# every kernel it starts (kernels inherit the environment).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# Start-up time: jsonschema (imported by nbformat, papermill and Great Expectations' altair) imports
# the optional ``rfc3987_syntax`` when it is installed (JupyterLab's jupyter-events pulls it in) only to
# check the "iri" string format, and that import builds a grammar: 0.7-1.0 s of CPU in every process —
# each batch worker, the validator, every `nianbao` command. No schema the kit validates uses "iri", so
# the kit's processes skip it (jsonschema then simply has no "iri" checker). benchmarks/bench_batch.py
# measures the batch with this; `python -X importtime -c "import nbformat"` shows the cost.
import sys as _sys

_sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

__version__ = "0.1.0"
