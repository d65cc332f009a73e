"""Identity benchmark: how well "same year, place and title, and alike accounts" tells one
review listed twice from two reviews that share a title, on a labelled set of pairs.

    python bench/identity_bench.py [--reviews 1000]

Pairs are made from bench/synthetic.py's made-up reviews (as its pages print them):
- same review (positives): the entry again with what captures of a rewritten page show: a
  corrected word, an added sentence, a dropped sentence, several corrections, other keywords;
- different reviews (negatives): two reviews given one title; half of them also share the
  opening sentence (same harm, age, sex and month: the hardest case the stock makes).
Prints precision and recall of "same review" at the build's threshold, and the similarity
range of each kind; writes bench/results/identity.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

from reviewgraph.identity import SAME_REVIEW_SIMILARITY, similarity  # noqa: E402
from reviewgraph.records import Record, SourceRef  # noqa: E402


def _record(review: synthetic.Review, summary: str, keywords: list[str]) -> Record:
    return Record(title="Child A", year=2025, locality="Kent", summary=summary,
                  keywords=keywords, source=SourceRef("page.txt", 1, 6))


def _summary(review: synthetic.Review) -> str:
    return review.page_text().splitlines()[1]


def _edited(rng: random.Random, text: str) -> str:
    sentences = [s for s in text.split(". ") if s]
    kind = rng.choice(["word", "added", "dropped", "words", "keywords"])
    if kind == "word":
        words = text.split()
        words[rng.randrange(len(words))] = rng.choice(synthetic._WORDS)
        return " ".join(words)
    if kind == "added":
        return text + " The review was updated after the family's comments were received."
    if kind == "dropped" and len(sentences) > 3:
        sentences.pop(rng.randrange(1, len(sentences)))
        return ". ".join(sentences)
    if kind == "words":
        words = text.split()
        for _ in range(3):
            words[rng.randrange(len(words))] = rng.choice(synthetic._WORDS)
        return " ".join(words)
    return text


def pairs(count: int, seed: int = 12) -> list[tuple[Record, Record, bool]]:
    rng = random.Random(seed)
    reviews = list(synthetic.reviews(count))
    labelled = []
    for review in reviews:
        text = _summary(review)
        labelled.append((_record(review, text, review.keywords),
                         _record(review, _edited(rng, text), rng.sample(review.keywords, 4)),
                         True))
        other = rng.choice(reviews)
        if other is review:
            continue
        other_text = _summary(other)
        if rng.random() < 0.5:  # the same opening sentence: the stock's hardest negatives
            other_text = text.split(". ")[0] + ". " + other_text.split(". ", 1)[-1]
        labelled.append((_record(review, text, review.keywords),
                         replace(_record(other, other_text, other.keywords),
                                 source=SourceRef("other.txt", 1, 6)), False))
    return labelled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "identity.json")
    args = parser.parse_args(argv)
    scored = [(similarity(a, b), same) for a, b, same in pairs(args.reviews)]
    said_same = [(score >= SAME_REVIEW_SIMILARITY, same) for score, same in scored]
    true_pos = sum(1 for said, same in said_same if said and same)
    false_pos = sum(1 for said, same in said_same if said and not same)
    false_neg = sum(1 for said, same in said_same if not said and same)
    positives = [score for score, same in scored if same]
    negatives = [score for score, same in scored if not same]
    result = {
        "pairs": len(scored), "same": len(positives), "different": len(negatives),
        "threshold": SAME_REVIEW_SIMILARITY,
        "precision": round(true_pos / ((true_pos + false_pos) or 1), 4),
        "recall": round(true_pos / ((true_pos + false_neg) or 1), 4),
        "same_similarity_min": round(min(positives), 3),
        "different_similarity_max": round(max(negatives), 3),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
