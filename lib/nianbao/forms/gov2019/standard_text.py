"""Standard sentences of the 2019 format, written from the figures (``std.requests()`` …).

表三 and 表四 have the same rows (by key) in the 2019 and 2021 formats, apart from （六）其他处理, which
the 2021 pack's sentences already treat as a row or a group as the form prints it; so only the
sentences of 表二 differ. A figure left blank (or "/") is said as 未填报, never as 0, as in the 2021 pack."""
from __future__ import annotations

from ..gov2021.standard_text import StandardText as _TablesThreeAndFour


class StandardText(_TablesThreeAndFour):
    SANDBOX_PUBLIC = frozenset({"proactive", "requests", "appeals", "fees"})

    def proactive(self) -> str:
        t2 = self._y.table2
        nd, rg = t2.normative_documents, t2.regulations
        return self._proactive(
            [("本年度新制作规范性文件", nd.made), ("新公开", nd.published), ("对外公开总数", nd.published_total)],
            [("新制作规章", rg.made), ("新公开", rg.published), ("对外公开总数", rg.published_total)],
            [("作出行政许可处理决定", t2.licensing.decisions), ("行政处罚处理决定", t2.penalties.decisions),
             ("行政强制处理决定", t2.enforcement.decisions)])
