"""Learning-theme tagging against a hand-labelled set: precision and recall per theme and overall.

    python bench/themes_eval.py                  # both splits, per theme and overall
    python bench/themes_eval.py --errors tune    # also list the tune split's mistakes

The set is tests/fixtures/themes/labelled.csv (its README says how it was labelled). Its
`held-out` rows are never used to tune the patterns in data/vocabularies/themes.ttl: report
both, and treat held-out as the honest figure. Counts are micro-averaged over (point, theme)
pairs; a theme's precision is undefined (shown "-") when the matcher never gave it.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

from reviewgraph.concepts import load_vocabularies

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "themes" / "labelled.csv"
TARGETS = (0.95, 0.90)  # precision, recall (issue 13)


def load(path: Path = LABELLED) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def evaluate(rows: list[dict[str, str]]) -> tuple[dict[str, Counter[str]], list[tuple]]:
    """Per theme id: Counter of tp, fp, fn; and the mistakes (row, missed, extra)."""
    matcher = load_vocabularies().themes
    counts: dict[str, Counter[str]] = {}
    mistakes = []
    for row in rows:
        expected = {t for t in row["themes"].split(";") if t}
        found = {str(t).rsplit("/", 1)[-1] for t in matcher.themes(row["text"])}
        for theme in expected | found:
            tally = counts.setdefault(theme, Counter())
            tally["tp" if theme in expected and theme in found else
                  "fn" if theme in expected else "fp"] += 1
        if expected != found:
            mistakes.append((row, sorted(expected - found), sorted(found - expected)))
    return counts, mistakes


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "-"


def report(name: str, rows: list[dict[str, str]], errors: bool) -> tuple[float, float]:
    counts, mistakes = evaluate(rows)
    total = sum(counts.values(), Counter())
    precision = total["tp"] / max(total["tp"] + total["fp"], 1)
    recall = total["tp"] / max(total["tp"] + total["fn"], 1)
    labelled = sum(1 for row in rows if row["themes"])
    print(f"\n## {name}: {len(rows)} learning points ({labelled} with a theme), "
          f"{total['tp'] + total['fn']} labelled theme assignments")
    print(f"overall: precision {precision:.3f}  recall {recall:.3f}  "
          f"(tp {total['tp']}, fp {total['fp']}, fn {total['fn']})")
    print(f"{'theme':40} {'prec':>6} {'recall':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for theme in sorted(counts):
        c = counts[theme]
        print(f"{theme:40} {ratio(c['tp'], c['tp'] + c['fp']):>6} "
              f"{ratio(c['tp'], c['tp'] + c['fn']):>6} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4}")
    if errors:
        print(f"\nmistakes ({len(mistakes)}):")
        for row, missed, extra in mistakes:
            print(f"  {row['id']} {row['text']!r}: missed {missed} extra {extra}")
    return precision, recall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--errors", choices=("tune", "held-out", "all"),
                        help="list the mistakes of this split")
    args = parser.parse_args(argv)
    rows = load()
    print(f"labelled set: {LABELLED.relative_to(LABELLED.parents[3])}; targets: precision >= "
          f"{TARGETS[0]}, recall >= {TARGETS[1]}")
    for name in ("tune", "held-out"):
        report(name, [r for r in rows if r["split"] == name], args.errors in (name, "all"))
    report("all", rows, False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
