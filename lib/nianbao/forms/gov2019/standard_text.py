"""Standard sentences of the 2019 format, written from the figures (``std.requests()`` …).

表三 and 表四 have the same rows (by key) in the 2019 and 2021 formats, apart from （六）其他处理, which
the 2021 pack's sentences already treat as a row or a group as the form prints it; so only the
sentences of 表二 differ."""
from __future__ import annotations

from ...standard_text import _n
from ..gov2021.standard_text import StandardText as _TablesThreeAndFour


class StandardText(_TablesThreeAndFour):
    SANDBOX_PUBLIC = frozenset({"proactive", "requests", "appeals", "fees"})

    def proactive(self) -> str:
        t2 = self._y.table2
        nd = t2.normative_documents
        parts = [f"本年度新制作规范性文件{_n(nd.made)}件，新公开{_n(nd.published)}件，对外公开总数{_n(nd.published_total)}件"]
        rg = t2.regulations
        if rg.made.value or rg.published.value or rg.published_total.value:
            parts.append(f"新制作规章{_n(rg.made)}件，新公开{_n(rg.published)}件，对外公开总数{_n(rg.published_total)}件")
        parts.append(f"作出行政许可处理决定{_n(t2.licensing.decisions)}件、行政处罚处理决定{_n(t2.penalties.decisions)}件、"
                     f"行政强制处理决定{_n(t2.enforcement.decisions)}件")
        return "；".join(parts) + "。"
