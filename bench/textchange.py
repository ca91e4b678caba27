#!/usr/bin/env python3
"""Benchmark ``annotations.textchange.compare`` on 1,000 page pairs of ~50 KB main text.

Generates (deterministically) news-like main texts of ~50,000 characters: sentences with
percentages, money, dates, names and negations, paragraphs separated by newlines, a few
residual furniture lines (an "Updated ..." stamp, a comment counter). Each pair is the text as
cited and the text now, with one of these edits (the mix of a recheck run, where most pages
did not change): unchanged, furniture only (new stamp and counters), paragraphs moved, one
number changed, one negation removed, a paragraph added, a sentence rewritten.

Then, one core, it times ``compare`` on every pair, and the current SimHash path on the same
pairs: ``page_fingerprint`` of the text now (the fingerprint as cited is stored, computed
before timing) and ``fingerprint_changed``, as a link check runs it. Its caches are cleared
before each page, as every recheck fetches a new body. Prints pairs/second for both,
``ratio_to_simhash`` (compare's speed over SimHash's; above 1 is faster), and what each
detected: material pairs flagged and false alarms.

Run from the repository root: ``python bench/textchange.py [--pairs N] [--seed N]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotations.linkhealth import fingerprint  # noqa: E402
from annotations.textchange import compare  # noqa: E402

TARGET_CHARS = 50_000
WORDS = [
    "the",
    "government",
    "said",
    "figures",
    "showed",
    "rate",
    "rise",
    "fall",
    "year",
    "quarter",
    "month",
    "people",
    "workers",
    "families",
    "council",
    "report",
    "survey",
    "data",
    "analysis",
    "increase",
    "decrease",
    "policy",
    "plan",
    "budget",
    "spending",
    "schools",
    "hospitals",
    "housing",
    "prices",
    "wages",
    "inflation",
    "unemployment",
    "economy",
    "region",
    "city",
    "town",
    "officials",
    "experts",
    "critics",
    "residents",
    "minister",
    "department",
    "office",
    "record",
    "level",
    "highest",
    "lowest",
    "since",
    "compared",
    "with",
    "according",
    "to",
    "after",
    "before",
    "during",
    "while",
    "although",
    "because",
    "however",
    "expected",
    "warned",
    "added",
    "noted",
    "found",
    "published",
    "new",
    "latest",
    "previous",
    "annual",
    "monthly",
    "local",
    "national",
    "public",
    "private",
    "small",
    "large",
    "early",
    "late",
]
NAMES = [
    "Jane Holroyd", "Paul Okafor", "Linda Chow", "Helen Marsh", "Leeds", "Riverton",
    "Castleford", "the Treasury", "the Office for National Statistics", "Stockholm",
    "Angela Rayner", "Martin Reeve", "Cedar Creek", "the Environment Agency",
]  # fmt: skip
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
]
KINDS = (
    ("unchanged", False, 30),
    ("furniture", False, 20),
    ("moved", False, 10),
    ("number", True, 15),
    ("negation", True, 10),
    ("paragraph_added", True, 10),
    ("rewritten", True, 5),
)


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    roll = rng.random()
    if roll < 0.35:
        words.insert(rng.randrange(len(words)), f"{rng.randint(1, 99)}.{rng.randint(0, 9)}%")
    elif roll < 0.5:
        words.insert(rng.randrange(len(words)), f"£{rng.randint(2, 900)}m")
    elif roll < 0.6:
        words.insert(
            rng.randrange(len(words)), f"on {rng.randint(1, 28)} {rng.choice(MONTHS)} 2024"
        )
    if rng.random() < 0.4:
        words.insert(rng.randrange(1, len(words)), rng.choice(NAMES))
    if rng.random() < 0.15:
        words.insert(rng.randrange(1, len(words)), "not")
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def page(rng: random.Random) -> list[str]:
    paras: list[str] = ["Updated 3 minutes ago", "1,204 comments"]
    size = 0
    while size < TARGET_CHARS:
        p = " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))
        paras.append(p)
        size += len(p) + 1
    return paras


def edited(rng: random.Random, paras: list[str], kind: str) -> list[str]:
    out = list(paras)
    body = range(2, len(out))
    if kind == "furniture":
        out[0], out[1] = "Updated 2 hours ago", "1,377 comments"
    elif kind == "moved":
        i, j = rng.sample(body, 2)
        out.insert(j, out.pop(i))
    elif kind == "number":
        while True:
            i = rng.choice(body)
            words = out[i].split()
            hits = [k for k, w in enumerate(words) if w.endswith("%")]
            if hits:
                k = rng.choice(hits)
                words[k] = f"{rng.randint(100, 200)}%"
                out[i] = " ".join(words)
                return out
    elif kind == "negation":
        while True:
            i = rng.choice(body)
            if " not " in out[i]:
                out[i] = out[i].replace(" not ", " ", 1)
                return out
    elif kind == "paragraph_added":
        out.insert(rng.choice(body), " ".join(sentence(rng) for _ in range(3)))
    elif kind == "rewritten":
        i = rng.choice(body)
        out[i] = " ".join(sentence(rng) for _ in range(3))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20240303)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    weights = [w for _, _, w in KINDS]
    pairs = []
    for _ in range(args.pairs):
        kind, material, _w = rng.choices(KINDS, weights)[0]
        before = page(rng)
        pairs.append((kind, material, "\n".join(before), "\n".join(edited(rng, before, kind))))
    chars = sum(len(b) + len(a) for _, _, b, a in pairs) / (2 * len(pairs))
    stored = [fingerprint.page_fingerprint(b.encode(), "text/plain") for _, _, b, _ in pairs]

    flagged: Counter[tuple[str, str]] = Counter()
    compare_s = edited_s = 0.0
    for kind, _m, before, after in pairs:
        t0 = time.perf_counter()
        changed = compare(before, after).changed
        spent = time.perf_counter() - t0
        compare_s += spent
        edited_s += spent if kind != "unchanged" else 0.0
        flagged[("compare", kind)] += changed

    simhash_s = 0.0
    for (kind, _m, _b, after), old in zip(pairs, stored, strict=True):
        for cached in (
            fingerprint.page_fingerprint,
            fingerprint._main_tokens,
            fingerprint.main_text,
        ):
            cached.cache_clear()
        t0 = time.perf_counter()
        new = fingerprint.page_fingerprint(after.encode(), "text/plain")
        changed = fingerprint.fingerprint_changed(old, new)
        simhash_s += time.perf_counter() - t0
        flagged[("simhash", kind)] += changed

    counts = Counter(kind for kind, _, _, _ in pairs)
    n = len(pairs)
    print(
        f"pairs={n} mean_chars={chars:.0f} "
        + " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    )
    for name in ("compare", "simhash"):
        material = sum(flagged[(name, k)] for k, m, _ in KINDS if m)
        false_alarms = sum(flagged[(name, k)] for k, m, _ in KINDS if not m)
        n_material = sum(counts[k] for k, m, _ in KINDS if m)
        by_kind = " ".join(f"{k}={flagged[(name, k)]}/{counts[k]}" for k, _m, _w in KINDS)
        print(
            f"{name}: material_flagged={material}/{n_material} false_alarms={false_alarms} {by_kind}"
        )
    print(f"compare_seconds={compare_s:.3f} compare_pairs_per_second={n / compare_s:.1f}")
    n_edited = n - counts["unchanged"]
    print(
        f"compare_pairs_per_second_without_unchanged={n_edited / edited_s:.1f} "
        "(identical texts return at once)"
    )
    print(f"simhash_seconds={simhash_s:.3f} simhash_pairs_per_second={n / simhash_s:.1f}")
    print(f"ratio_to_simhash={simhash_s / compare_s:.4f}")


if __name__ == "__main__":
    main()
