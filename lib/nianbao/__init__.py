"""nianbao (年报): reproducible 政府信息公开工作年度报告 from figures, narrative and the national form."""
from __future__ import annotations

import os

# Offline and private by default: no usage analytics from Great Expectations, in this process and in
# every kernel it starts (kernels inherit the environment).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

__version__ = "0.1.0"
