"""Standard sentences of the 2019 format, written from the figures (``std.requests()`` …).

表三 and 表四 have the same rows (by key) in the 2019 and 2021 formats, apart from （六）其他处理, which
the 2021 pack's sentences already treat as a row or a group as the form prints it; so only the
sentences of 表二 differ. A figure left blank (or "/") is said as 未填报, never as 0, as in the 2021 pack."""
from __future__ import annotations

from ...standard_text import _count, _nonzero
from ..gov2021.standard_text import StandardText as _TablesThreeAndFour


class StandardText(_TablesThreeAndFour):
    SANDBOX_PUBLIC = frozenset({"proactive", "requests", "appeals", "fees"})

    def proactive(self) -> str:
        t2 = self._y.table2
        nd = t2.normative_documents
        parts = [f"{_count('本年度新制作规范性文件', nd.made)}，{_count('新公开', nd.published)}，"
                 f"{_count('对外公开总数', nd.published_total)}"]
        rg = t2.regulations
        if any(_nonzero(v) for v in (rg.made, rg.published, rg.published_total)):
            parts.append(f"{_count('新制作规章', rg.made)}，{_count('新公开', rg.published)}，"
                         f"{_count('对外公开总数', rg.published_total)}")
        parts.append(f"{_count('作出行政许可处理决定', t2.licensing.decisions)}、"
                     f"{_count('行政处罚处理决定', t2.penalties.decisions)}、"
                     f"{_count('行政强制处理决定', t2.enforcement.decisions)}")
        return "；".join(parts) + "。"
