"""Standard sentences of the 2021 format, written from the figures (``std.requests()`` …)."""
from __future__ import annotations

from ...standard_text import BaseStandardText, _n, _short

RESULTS_TOTAL_ROW = "results_total"  # （七）总计: the other rows of its group are the outcomes


class StandardText(BaseStandardText):
    SANDBOX_PUBLIC = frozenset({"proactive", "requests", "appeals", "fees"})  # all the narrative may use

    def proactive(self) -> str:
        t2 = self._y.table2
        nd = t2.normative_documents
        parts = [f"本年度制发行政规范性文件{_n(nd.issued)}件，废止{_n(nd.repealed)}件，现行有效{_n(nd.in_force)}件"]
        rg = t2.regulations
        if rg.issued.value or rg.repealed.value or rg.in_force.value:
            parts.append(f"制发规章{_n(rg.issued)}件，废止{_n(rg.repealed)}件，现行有效{_n(rg.in_force)}件")
        parts.append(f"作出行政许可决定{_n(t2.licensing.decisions)}件、行政处罚决定{_n(t2.penalties.decisions)}件、"
                     f"行政强制决定{_n(t2.enforcement.decisions)}件")
        return "；".join(parts) + "。"

    def requests(self) -> str:
        t3 = self._y.table3
        new, carried = t3.new, t3.carried_over
        s = f"本年度共收到政府信息公开申请{_n(new.total)}件"
        if new.total.value:
            org = new.total.value - new.natural_person.value
            s += f"（其中自然人提出{_n(new.natural_person)}件，法人或其他组织提出{org}件）"
        s += f"，上年结转{_n(carried.total)}件。"
        listed = "、".join(f"{name}{n}件" for name, n in self._outcomes() if n)
        s += f"本年度办结{_n(t3.results_total.total)}件"
        s += f"，其中{listed}" if listed else ""
        fwd = t3.carried_forward.total
        s += f"；结转下年度继续办理{_n(fwd)}件。" if fwd.value else "；没有结转下年度继续办理的申请。"
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
        suits = t4.litigation_direct.total.value + t4.litigation_after_review.total.value
        if not review and not suits:
            return "本年度未发生因政府信息公开引起的行政复议和行政诉讼。"
        r = t4.review
        return (f"本年度因政府信息公开引起行政复议{review}件（结果维持{_n(r.upheld)}件、结果纠正{_n(r.corrected)}件、"
                f"其他结果{_n(r.other)}件、尚未审结{_n(r.pending)}件），行政诉讼{suits}件。")
