"""Copied text: the k-shingle measure of nianbao.copied against difflib, on speed and on what each finds.

    .venv/bin/python benchmarks/bench_copied.py [--pairs 1000]

Cases, each a (this year, last year) pair of one section:

- unchanged: the bundled 2022 narrative's sections against themselves, figures changed;
- reordered: the same sections with their paragraphs in reverse order (copied text moved around);
- paraphrase: the bundled narrative (written as a sentence-by-sentence rewording of the published
  2022 report in /work/shared/seeds, when present) against that report — new wording of the same
  facts, which must stay below the warning threshold.

difflib's share is the characters in SequenceMatcher matching blocks of at least k characters
(autojunk off: Chinese text has no junk), on the same normalised text. Speed: both measures over
``--pairs`` section pairs (the bundled sections, repeated).
"""
from __future__ import annotations

import argparse
import difflib
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lib"))

from nianbao import copied, forms  # noqa: E402
from nianbao.narrative import load_narrative  # noqa: E402

SEED_REPORT = Path("/work/shared/seeds/000_d894ce981fcc32ce.txt")


def difflib_share(current: str, previous: str, k: int = copied.SHINGLE) -> float:
    a, b = copied.normalise(current).text, copied.normalise(previous).text
    if not a:
        return 0.0
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(m.size for m in sm.get_matching_blocks() if m.size >= k) / len(a)


def _seed_sections(text: str, form) -> dict[str, str]:
    """The published report's sections, split at the first "一、…" … "六、…" heading lines."""
    numbers = {s.number: s.key for s in form.sections}
    parts = re.split(r"\n\s*([一二三四五六])、[^\n]*\n", text)
    out: dict[str, str] = {}
    for i in range(1, len(parts), 2):
        out.setdefault(numbers[parts[i]], parts[i + 1])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1000)
    args = ap.parse_args()
    form = forms.get("gov2021")
    nar = load_narrative(REPO / "data/2022/zhungeer/narrative.md", form)
    mine = {k: p.text for k, p in nar.sections.items()}
    cases: list[tuple[str, str, str, str]] = []
    for key, text in mine.items():
        cases.append(("unchanged", key, re.sub(r"\{\{[^}]*\}\}", "42", text), text))
        paras = [p for p in text.split("\n\n") if p.strip()]
        cases.append(("reordered", key, "\n\n".join(reversed(paras)), text))
    if SEED_REPORT.is_file():
        seed = _seed_sections(SEED_REPORT.read_text(encoding="utf-8"), form)
        for key, text in mine.items():
            if key in seed:
                cases.append(("paraphrase", key, text, seed[key]))
    print(f"threshold {copied.THRESHOLD:.0%}, k = {copied.SHINGLE}")
    print(f"{'case':<11}{'section':<10}{'shingles':>9}{'difflib':>9}")
    for name, key, cur, prev in cases:
        print(f"{name:<11}{key:<10}{copied.compare(cur, prev).share:>9.0%}{difflib_share(cur, prev):>9.0%}")
    pairs = [(c[2], c[3]) for c in cases] * (args.pairs // len(cases) + 1)
    pairs = pairs[: args.pairs]
    chars = sum(len(a) for a, _ in pairs)
    t = time.perf_counter()
    for a, b in pairs:
        copied.compare(a, b)
    shingle_s = time.perf_counter() - t
    t = time.perf_counter()
    for a, b in pairs:
        difflib_share(a, b)
    difflib_s = time.perf_counter() - t
    print(f"{len(pairs)} section pairs ({chars:,} characters): shingles {shingle_s:.2f} s, "
          f"difflib {difflib_s:.2f} s ({difflib_s / shingle_s:.1f}× the shingles' time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
