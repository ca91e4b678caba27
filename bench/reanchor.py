#!/usr/bin/env python3
"""Benchmark ``annotations.anchoring.reanchor`` on a 100k-character article.

Generates (deterministically) an article of seeded random sentences, 1,000 claims (sentences,
phrases and two-sentence spans, overlapping), and a lightly edited revision with a few
insertions, deletions and replacements per paragraph (some inside claims, some deleting whole
sentences), keeping the ground truth of where each claim must land. Then it re-anchors with
``reanchor`` and with a naive baseline (first occurrence of the old quote) and prints speed
and accuracy for both.

Run from the repository root: ``python bench/reanchor.py [--seed N] [--claims N]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotations.anchoring import Span, reanchor  # noqa: E402

TARGET_CHARS = 100_000
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "de",
    "pa",
    "gri",
    "stel",
    "on",
    "ar",
    "em",
    "ul",
    "bor",
    "fen",
    "tak",
    "wis",
]


@dataclass
class Edit:
    pos: int  # old offset
    delete: int  # old characters removed from pos
    insert: str  # new text put at pos
    kind: str


def make_vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


class Writer:
    """Random sentences over a Zipf-weighted vocabulary, so common words and phrases recur."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vocab = make_vocabulary(rng)
        cum, total = [], 0.0
        for rank in range(len(self.vocab)):
            total += 1.0 / (rank + 1)
            cum.append(total)
        self.cum = cum

    def word(self) -> str:
        return self.rng.choices(self.vocab, cum_weights=self.cum)[0]

    def sentence(self) -> str:
        words = [self.word() for _ in range(self.rng.randint(6, 20))]
        if self.rng.random() < 0.2:
            words.insert(self.rng.randrange(len(words)), f"{self.rng.randint(2, 99)}%")
        return " ".join(words).capitalize() + "."


def make_article(rng: random.Random, writer: Writer) -> tuple[str, list[tuple[int, int, int]]]:
    """The text and its sentences as (start, end, paragraph index)."""
    parts: list[str] = []
    sentences: list[tuple[int, int, int]] = []
    length = 0
    para = 0
    while length < TARGET_CHARS:
        if parts:
            parts.append("\n\n")
            length += 2
        for k in range(rng.randint(3, 7)):
            if k:
                parts.append(" ")
                length += 1
            s = writer.sentence()
            sentences.append((length, length + len(s), para))
            parts.append(s)
            length += len(s)
        para += 1
    return "".join(parts), sentences


def make_claims(
    rng: random.Random, text: str, sentences: list[tuple[int, int, int]], n: int
) -> list[tuple[int, int]]:
    claims: set[tuple[int, int]] = set()
    while len(claims) < n:
        i = rng.randrange(len(sentences))
        s, e, para = sentences[i]
        r = rng.random()
        if r < 0.5:
            claims.add((s, e))
        elif r < 0.85:
            # A phrase of 3-8 whole words inside the sentence.
            starts = [s] + [j + 1 for j in range(s, e) if text[j] == " "]
            if len(starts) < 4:
                continue
            a = rng.randrange(len(starts) - 3)
            b = min(len(starts) - 1, a + rng.randint(3, 8))
            end = starts[b] - 1 if b < len(starts) - 1 or rng.random() < 0.5 else e - 1
            claims.add((starts[a], end))
        elif i + 1 < len(sentences) and sentences[i + 1][2] == para:
            claims.add((s, sentences[i + 1][1]))
    return sorted(claims)


def make_edits(
    rng: random.Random,
    writer: Writer,
    text: str,
    sentences: list[tuple[int, int, int]],
    claims: list[tuple[int, int]],
) -> list[Edit]:
    """A few non-overlapping edits per paragraph that never cut a claim's boundary."""
    starts = sorted({s for s, _ in claims})
    ends = sorted({e for _, e in claims})
    taken: list[tuple[int, int]] = []

    def boundary_inside(lo: int, hi: int, bounds: list[int]) -> bool:
        k = bisect_left(bounds, lo)
        return k < len(bounds) and bounds[k] <= hi

    def free(p: int, d: int) -> bool:
        return not any(p <= b + 1 and a <= p + d + 1 for a, b in taken)

    def ok(p: int, d: int, *, whole_sentence: bool = False) -> bool:
        if not free(p, d):
            return False
        if d == 0:
            return True  # insertions at word starts never split a claim's boundary word
        if whole_sentence:
            # May swallow claims whole, never cut one.
            return not any(s < p + d and p < e and not (p <= s and e <= p + d) for s, e in claims)
        return not boundary_inside(p, p + d, starts) and not boundary_inside(p, p + d, ends)

    edits: list[Edit] = []
    by_para: dict[int, list[tuple[int, int]]] = {}
    for s, e, para in sentences:
        by_para.setdefault(para, []).append((s, e))
    for sents in by_para.values():
        for _ in range(rng.randint(2, 4)):
            s, e = rng.choice(sents)
            words = [s] + [j + 1 for j in range(s, e) if text[j] == " "]
            r = rng.random()
            edit: Edit | None = None
            if r < 0.35:  # insert a word before a word
                p = rng.choice(words)
                edit = Edit(p, 0, writer.word() + " ", "insert_word")
            elif r < 0.6:  # delete a word (not the last, which carries the full stop)
                if len(words) > 2:
                    k = rng.randrange(len(words) - 1)
                    p = words[k]
                    edit = Edit(p, words[k + 1] - p, "", "delete_word")
            elif r < 0.8:  # replace a word
                k = rng.randrange(len(words) - 1) if len(words) > 1 else 0
                p = words[k]
                w_end = text.index(" ", p, e) if " " in text[p:e] else e - 1
                edit = Edit(p, w_end - p, writer.word(), "replace_word")
            elif r < 0.9:  # insert a whole sentence before this one
                edit = Edit(s, 0, writer.sentence() + " ", "insert_sentence")
            else:  # delete this sentence and the space after it
                d = e - s + (1 if text[e : e + 1] == " " else 0)
                if ok(s, d, whole_sentence=True):
                    edit = Edit(s, d, "", "delete_sentence")
                    taken.append((s, s + d))
                    edits.append(edit)
                continue
            if edit is not None and ok(edit.pos, edit.delete):
                taken.append((edit.pos, edit.pos + edit.delete))
                edits.append(edit)
    edits.sort(key=lambda x: x.pos)
    return edits


def apply_edits(text: str, edits: list[Edit]) -> str:
    out, pos = [], 0
    for ed in edits:
        out.append(text[pos : ed.pos])
        out.append(ed.insert)
        pos = ed.pos + ed.delete
    out.append(text[pos:])
    return "".join(out)


def ground_truth(claims: list[tuple[int, int]], edits: list[Edit]) -> list[tuple[int, int] | None]:
    """Where each claim must land; None when an edit deleted it whole."""
    truth: list[tuple[int, int] | None] = []
    for s, e in claims:
        ds = de = 0
        deleted = False
        for ed in edits:
            delta = len(ed.insert) - ed.delete
            if ed.delete and ed.pos <= s and e <= ed.pos + ed.delete:
                deleted = True
                break
            # Text inserted at the start boundary lands before the claim.
            if (ed.delete and ed.pos + ed.delete <= s) or (not ed.delete and ed.pos <= s):
                ds += delta
            if (ed.delete and ed.pos + ed.delete <= e) or (not ed.delete and ed.pos < e):
                de += delta
        truth.append(None if deleted else (s + ds, e + de))
    return truth


def naive(new_text: str, spans: list[Span]) -> list[tuple[int, int] | None]:
    out: list[tuple[int, int] | None] = []
    for sp in spans:
        p = new_text.find(sp.exact)
        out.append(None if p < 0 else (p, p + len(sp.exact)))
    return out


def score(
    placed: list[tuple[int, int] | None], truth: list[tuple[int, int] | None]
) -> tuple[float, float]:
    survived = [(p, t) for p, t in zip(placed, truth, strict=True) if t is not None]
    deleted = [p for p, t in zip(placed, truth, strict=True) if t is None]
    accuracy = sum(p == t for p, t in survived) / max(1, len(survived))
    orphan_ok = sum(p is None for p in deleted) / max(1, len(deleted))
    return accuracy, orphan_ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--claims", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    writer = Writer(rng)
    old_text, sentences = make_article(rng, writer)
    claims = make_claims(rng, old_text, sentences, args.claims)
    edits = make_edits(rng, writer, old_text, sentences, claims)
    new_text = apply_edits(old_text, edits)
    truth = ground_truth(claims, edits)
    spans = [Span.at(old_text, s, e) for s, e in claims]
    for (s, e), t in zip(claims, truth, strict=True):
        if t is not None:
            # The generator's own check: an untouched claim reads the same at its truth.
            assert new_text[t[0]] == old_text[s] and new_text[t[1] - 1] == old_text[e - 1]

    n_changed = sum(
        1 for sp, t in zip(spans, truth, strict=True) if t and new_text[t[0] : t[1]] != sp.exact
    )
    kinds: dict[str, int] = {}
    for ed in edits:
        kinds[ed.kind] = kinds.get(ed.kind, 0) + 1

    best = float("inf")
    results = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        results = reanchor(old_text, new_text, spans)
        best = min(best, time.perf_counter() - t0)
    best_naive = float("inf")
    naive_placed: list[tuple[int, int] | None] = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        naive_placed = naive(new_text, spans)
        best_naive = min(best_naive, time.perf_counter() - t0)

    placed = [None if r.span is None else (r.span.start, r.span.end) for r in results]
    accuracy, orphan_ok = score(placed, truth)
    n_accuracy, n_orphan_ok = score(naive_placed, truth)
    n = len(spans)
    states = {
        s: sum(r.state == s for r in results) / n for s in ("anchored", "reanchored", "orphaned")
    }
    changed_flagged = sum(
        r.quote_changed for r, t, sp in zip(results, truth, spans, strict=True)
        if t and new_text[t[0] : t[1]] != sp.exact
    )  # fmt: skip
    wrong = [
        (sp, r, t)
        for sp, r, t in zip(spans, results, truth, strict=True)
        if (None if r.span is None else (r.span.start, r.span.end)) != t
    ]

    print(f"text_chars={len(old_text)} new_text_chars={len(new_text)} claims={n}")
    print(f"edits={len(edits)} " + " ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    print(f"claims_deleted={sum(t is None for t in truth)} claims_with_changed_quote={n_changed}")
    print(
        f"reanchor: seconds={best:.4f} claims_per_second={n / best:.0f} "
        + " ".join(f"{k}={v:.3f}" for k, v in states.items())
        + f" accuracy={accuracy:.4f} deleted_orphaned={orphan_ok:.3f}"
        + f" changed_quote_flagged={changed_flagged}/{n_changed}"
    )
    print(
        f"naive(first find): seconds={best_naive:.4f} claims_per_second={n / best_naive:.0f} "
        f"accuracy={n_accuracy:.4f} deleted_orphaned={n_orphan_ok:.3f}"
    )
    for sp, r, t in wrong[:5]:
        print(f"  miss: old={sp.start}..{sp.end} truth={t} got={r.state} {r.span}")
    print(f"seconds={best:.4f}")
    print(f"ratio_to_naive={best_naive / best:.4f}")


if __name__ == "__main__":
    main()
