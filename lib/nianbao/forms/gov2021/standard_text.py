"""Standard sentences of the 2021 format, written from the figures (``std.requests()`` …)."""
from __future__ import annotations

from ...placeholders import add, is_missing
from ...standard_text import TOTAL_COLUMN, BaseStandardText, _count, _nonzero, _short

RESULTS_TOTAL_ROW = "results_total"  # （七）总计: the other rows of its group are the outcomes


class StandardText(BaseStandardText):
    SANDBOX_PUBLIC = frozenset({"proactive", "requests", "appeals", "fees"})  # all the narrative may use

    def proactive(self) -> str:
        t2 = self._y.table2
        nd, rg = t2.normative_documents, t2.regulations
        return self._proactive(
            [("本年度制发行政规范性文件", nd.issued), ("废止", nd.repealed), ("现行有效", nd.in_force)],
            [("制发规章", rg.issued), ("废止", rg.repealed), ("现行有效", rg.in_force)],
            [("作出行政许可决定", t2.licensing.decisions), ("行政处罚决定", t2.penalties.decisions),
             ("行政强制决定", t2.enforcement.decisions)])

    def requests(self) -> str:
        t3 = self._y.table3
        new, carried = t3.new, t3.carried_over
        s = _count("本年度共收到政府信息公开申请", new.total)
        if not is_missing(new.total) and new.total.value:
            by = "，".join(_count(f"{who}提出", n) for who, n in self._applicants("table3", new))
            s += f"（其中{by}）"
        s += f"，{_count('上年结转', carried.total)}。"
        listed = "、".join(_count(name, n) for name, n in self._outcomes() if _nonzero(n))
        s += _count("本年度办结", t3.results_total.total)
        s += f"，其中{listed}" if listed else ""
        fwd = t3.carried_forward.total
        s += f"；{_count('结转下年度继续办理', fwd)}。" if _nonzero(fwd) else "；没有结转下年度继续办理的申请。"
        return s + self.appeals()

    def _outcomes(self) -> list[tuple[str, int]]:
        """(short name, 总计) of each outcome printed under the results group, from the form:
        a single row such as （一）予以公开, or a group such as （三）不予公开 summed over its rows."""
        table = self._ns.figures.form.table("table3")
        results = table.row(RESULTS_TOTAL_ROW)
        out: dict[str, int] = {}
        for row in table.rows:
            if row.groups[:1] != results.groups or row.key == RESULTS_TOTAL_ROW:
                continue
            label = row.groups[1] if len(row.groups) > 1 else row.label
            if label not in out:
                value = (self._y.table3.group(label).total if len(row.groups) > 1
                         else getattr(self._y.table3, row.key).total.value)
                out[label] = value
        return [(_short(label), n) for label, n in out.items()]

    def appeals(self) -> str:
        t4 = self._y.table4
        review = t4.review.total.value
        suits = add(t4.litigation_direct.total, t4.litigation_after_review.total)
        if not _nonzero(review) and not _nonzero(suits):
            return "本年度未发生因政府信息公开引起的行政复议和行政诉讼。"
        r = t4.review
        table = self._ns.figures.form.table("table4")
        review_row, suit_row = table.row("review"), table.row("litigation_direct")
        s = f"本年度因政府信息公开引起{_count(review_row.label, review)}"
        if not is_missing(review):
            s += "（" + "、".join(_count(c.label, getattr(r, c.key)) for c in review_row.columns
                                 if c.key != TOTAL_COLUMN) + "）"
        return s + f"，{_count(suit_row.groups[0], suits)}。"
