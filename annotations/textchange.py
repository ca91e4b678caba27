"""Did the evidence page change in a way a fact-checker must know about? And what changed?

``compare(before, after)`` takes two MAIN texts (boilerplate already removed by the extraction
module; paragraphs separated by newlines) and answers with a ``Comparison``: ``changed`` with
coded ``reasons``, a ``similarity`` in [0, 1], and the numbers and dates that changed.
``diff(before, after)`` is the word-level difference a reviewer reads.

What counts as a change (docs/change-detection.md says the same for readers):

- material, always ``changed``: a number that differs (12% -> 24%, 9.4 million -> 10.9
  million, $3.5bn, EUR 1,200, 10,9, "twelve", "a third"), a date or time (March 3, 2024;
  3 March 2024; 2024-03-03; a month, a weekday, a year), a negation added or removed (not, no,
  never, n't, none, nor, neither, without, nobody, nothing, cannot), a named person, place or
  organisation (a capitalised word sequence) that differs, a paragraph added or removed, a
  correction or editor's note, a sentence added or removed, or a sentence rewritten beyond
  small edits;
- not material: paragraphs (or sentences) in a different order with the same words, line
  breaks and whitespace, letter case, straight vs curly quotes and dashes, and the residual
  page furniture listed in ``_FURNITURE`` (a line that is only an "Updated 3 minutes ago"
  stamp, a "1,234 comments" / "Share 56" counter, a "5 min read" estimate, an
  "Advertisement" label, a "Read more: <headline>" link). A number inside a real sentence is
  never furniture.
- everything else (a typo fixed, a word swapped in a long sentence) lowers ``similarity``
  but is not ``changed``.

English only for negations, written-out numbers, month and weekday names and the sentence
starters that are not names; other languages still get numbers, ISO/numeric dates,
capitalised names and paragraph changes.

How: paragraphs identical on both sides are paired first as a multiset (so a moved paragraph
is no change, and an unchanged page costs a split and a hash); the rest are diffed word by
word with difflib.SequenceMatcher (the stdlib's, fast enough on the few paragraphs left, and
its matching blocks are exactly the word alignment needed). Sentences linked by matched words
form units; each unit with an unmatched word is checked rule by rule: ordered lists of
normalised numbers and dates, the count of negations, the multiset of names. Pure Python, no
Django.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from typing import Any

# A sentence that keeps less than this share of its words (2*matched / total) was rewritten.
REWRITE_SIMILARITY = 0.75
# A paragraph keeping less than this share of its words is removed (or, new, added).
PARAGRAPH_KEPT_SHARE = 0.25
# Words of context kept around a change in diff hunks.
CONTEXT_WORDS = 8
# Added or removed sentences shorter than this (in words) with nothing material in them
# (a "Read more." fragment) are not a change on their own.
_MIN_SENTENCE_WORDS = 4

REASON_CODES = (
    "number_changed",
    "date_changed",
    "negation_changed",
    "name_changed",
    "paragraph_added",
    "paragraph_removed",
    "correction_note",
    "text_rewritten",
)


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass
class Comparison:
    changed: bool
    reasons: list[Reason]
    similarity: float
    changed_numbers: list[dict[str, str | None]] = field(default_factory=list)
    changed_dates: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "reasons": [{"code": r.code, "message": r.message} for r in self.reasons],
            "similarity": self.similarity,
            "changed_numbers": self.changed_numbers,
            "changed_dates": self.changed_dates,
        }


# --- normalisation -------------------------------------------------------------------------

_TYPOGRAPHY = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u200b": "",
    "\u00ad": "",
}
# A regex finds the few typographic characters much faster than str.translate walks 50 KB.
_TYPOGRAPHY_RE = re.compile("[" + "".join(_TYPOGRAPHY) + "]")

_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WEEKDAYS = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)
_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY_RE = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_AGO = r"\d+\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s+ago"
_TIME = r"\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*(?:GMT|UTC|BST|CET|CEST|EST|EDT|PST|PDT))?"
_DAY_DATE = (
    rf"(?:{_WEEKDAY_RE},?\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_RE},?\s+\d{{4}}"
    rf"|{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}(?:T[\d:.]+Z?)?"
    rf"|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{1,2}}\.\d{{1,2}}\.\d{{4}})"
)
_STAMP_PART = rf"(?:{_AGO}|{_TIME}|{_DAY_DATE}|today|yesterday|just now|on|at|,|\||-)"

# Residual page furniture: a whole line (or a whole "|"/"·"-separated segment of a short
# line) matching one of these is dropped before comparing. Nothing inside a sentence is.
_FURNITURE = [
    # "Updated 3 minutes ago", "Last updated: 14:05 GMT, 3 March 2024", "Published 2024-03-03"
    re.compile(
        rf"(?:(?:last\s+)?(?:updated|modified|edited|published|posted|first published)"
        rf"|updated on|published on)\s*:?\s*(?:{_STAMP_PART}\s*)+",
        re.I,
    ),
    # a bare stamp or relative time: "3 minutes ago", "14:05 GMT", "3 March 2024"
    re.compile(rf"(?:{_AGO}|{_TIME}|{_DAY_DATE})(?:\s*{_STAMP_PART})*", re.I),
    # counters: "1,234 comments", "Comments (56)", "Share 56", "12K shares", "Views: 3,000"
    re.compile(
        r"(?:\d[\d,.]*\s*[kKmM]?\+?\s*(?:comments?|shares?|views?|likes?|reactions?|reads?"
        r"|responses?|replies)|(?:comments?|shares?|share|views?|likes?|tweet|reactions?"
        r"|responses?|replies)\s*:?\s*\(?\d[\d,.]*\s*[kKmM]?\+?\)?)",
        re.I,
    ),
    # reading-time estimates: "5 min read", "Reading time: 4 minutes"
    re.compile(r"(?:reading time:?\s*)?\d+\s*(?:min|mins|minutes?)(?:\s+read)?", re.I),
    # inline related links: "Read more: <another story's headline>"
    re.compile(
        r"(?:read more|more on this story|related|see also|also read|recommended"
        r"|most read|you may also like)\s*:\s*.+",
        re.I,
    ),
    # ad and share labels
    re.compile(
        r"advertisement|advertising|sponsored(?: content)?|ad|story continues below"
        r"(?: advertisement)?|share(?: this(?: article| story| page)?)?(?: on \w+)?",
        re.I,
    ),
]
_SEGMENT_SPLIT = re.compile(r"\s+[|\u00b7\u2022]\s+")
_MAX_FURNITURE_LINE = 160


def _is_furniture(segment: str) -> bool:
    s = segment.strip(" .:-")
    if not s:
        return True
    return any(p.fullmatch(s) for p in _FURNITURE)


def _clean_line(line: str) -> str:
    """The line without furniture segments; '' when it is furniture only."""
    if len(line) > _MAX_FURNITURE_LINE:
        return line
    if _is_furniture(line):
        return ""
    parts = _SEGMENT_SPLIT.split(line)
    if len(parts) == 1:
        return line
    return " | ".join(p for p in parts if not _is_furniture(p))


def _normalise(lines: list[str]) -> list[str]:
    out = []
    for raw in lines:
        if not raw.isascii():
            raw = unicodedata.normalize("NFC", raw)
            raw = _TYPOGRAPHY_RE.sub(lambda m: _TYPOGRAPHY[m.group()], raw)
        line = " ".join(raw.split())
        if line:
            line = _clean_line(line)
            if line:
                out.append(line)
    return out


def paragraphs(text: str) -> list[str]:
    """The comparable paragraphs (lines) of a main text: normalised, furniture dropped."""
    return _normalise(text.splitlines())


def _words(lines: list[str]) -> int:
    return sum(ln.count(" ") + 1 for ln in lines if ln)


# --- words, sentences ----------------------------------------------------------------------

_STRIP = "\"'()[]{}<>,.;:!?*_"
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "mt",
        "sr",
        "jr",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "gov",
        "sen",
        "rep",
        "rev",
        "fr",
        "no",
        "nos",
        "vs",
        "v",
        "etc",
        "e.g",
        "i.e",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "est",
        "approx",
        "fig",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "a.m",
        "p.m",
    ]
)


def _key(word: str) -> str:
    return word.strip(_STRIP).casefold() or word


def _sentence_ends(words: list[str]) -> list[bool]:
    """For each word, whether a sentence ends after it."""
    ends = [False] * len(words)
    for i, w in enumerate(words):
        core = w.rstrip("\"')]")
        if not core or core[-1] not in ".!?":
            continue
        if i + 1 < len(words):
            bare = core.rstrip(".!?").lstrip("\"'([").casefold()
            if core[-1] == "." and (bare in _ABBREVIATIONS or (len(bare) == 1 and bare.isalpha())):
                continue
            nxt = words[i + 1].lstrip("\"'([")
            if nxt and not (nxt[0].isupper() or nxt[0].isdigit()):
                continue
        ends[i] = True
    if words:
        ends[-1] = True
    return ends


# --- numbers and dates ---------------------------------------------------------------------

_CURRENCY = r"(?:US\$|A\$|C\$|NZ\$|HK\$|R\$|[$€£¥₹]|(?:USD|EUR|GBP|CHF|JPY)\s?)"
_SCALE_WORDS = {
    "k": 3,
    "thousand": 3,
    "m": 6,
    "mn": 6,
    "mln": 6,
    "million": 6,
    "millions": 6,
    "bn": 9,
    "b": 9,
    "billion": 9,
    "billions": 9,
    "tn": 12,
    "trillion": 12,
}
_NUMBER_RE = re.compile(
    rf"(?<![\w.,])(?P<cur>{_CURRENCY})?(?P<sign>[-+])?(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?"
    rf"|\d{{1,3}}(?:\.\d{{3}})+(?:,\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:(?P<ord>st|nd|rd|th)\b|\s?(?P<pct>%|per\s?cent\b|percent\b|percentage points?\b|pp\b)"
    r"|\s?(?P<scale>k|m|mn|mln|bn|b|tn)\b|\s(?P<scalew>thousand|millions?|billions?|trillion)\b)?"
    rf"(?:\s?(?P<cur2>{_CURRENCY.replace('[$€£¥₹]|', '').replace('US$|', '')}|euros?\b"
    r"|dollars?\b|pounds?\b))?",
    re.I,
)
_WORD_NUMBERS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_WORD_NUMBERS.update(
    {
        w: 10 * (i + 2)
        for i, w in enumerate(
            ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
        )
    }
)
_ORDINALS = {
    w: i + 1
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
        ]
    )
}
_FRACTIONS = {
    "half": "1/2",
    "halves": "1/2",
    "third": "1/3",
    "thirds": "1/3",
    "quarter": "1/4",
    "quarters": "1/4",
    "fifth": "1/5",
    "fifths": "1/5",
    "tenth": "1/10",
    "tenths": "1/10",
}
_WORDNUM_RE = re.compile(
    r"\b(?:(?P<frac_n>a|an|one|two|three|four|nine)[\s-]+(?P<frac>halves|half|thirds?|quarters?"
    r"|fifths?|tenths?)|(?P<tens>twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[\s-](?P<unit>one|two|three|four|five|six|seven|eight|nine))?"
    r"|(?P<word>zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|hundred|dozen|half)"
    r"|(?P<ordw>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth))"
    r"(?:\s(?P<scalew>hundred|thousand|million|billion|trillion)\b)?\b",
    re.I,
)
_DATE_RE = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH_RE})(?:,?\s+(?P<y1>\d{{4}}))?"
    rf"|(?P<m2>{_MONTH_RE})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y2>\d{{4}}))?"
    rf"|(?P<m3>{_MONTH_RE})(?:,?\s+(?P<y3>\d{{4}}))?"
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
    r"|(?P<sd>\d{1,2})/(?P<sm>\d{1,2})/(?P<sy>\d{4}|\d{2})"
    rf"|(?P<wd>{_WEEKDAY_RE})"
    r"|(?P<q>Q[1-4])\s+(?P<qy>\d{4})"
    r"|(?P<hh>\d{1,2})[:](?P<mm>\d{2})(?:\s*(?P<ampm>[ap])\.?m\.?)?"
    r"|(?P<y>(?:1[89]|20)\d{2})(?:s\b|(?![\d,.%]|\s?(?:per|bn|m\b|k\b|million|billion))))",
)


def _decimal(num: str) -> Decimal:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", num):
        num = num.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", num):
        num = num.replace(".", "").replace(",", ".")  # 1.200,5 (European thousands)
    elif "," in num:
        num = num.replace(",", ".")  # 10,9: a European decimal
    try:
        return Decimal(num)
    except InvalidOperation:
        return Decimal(0)


def _canon(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _currency(raw: str | None) -> str:
    if not raw:
        return ""
    c = raw.strip().lower()
    return {
        "€": "eur",
        "euro": "eur",
        "euros": "eur",
        "£": "gbp",
        "pound": "gbp",
        "pounds": "gbp",
        "$": "usd",
        "us$": "usd",
        "dollar": "usd",
        "dollars": "usd",
        "¥": "jpy",
        "₹": "inr",
    }.get(c, c)


@dataclass(frozen=True)
class _Mention:
    value: str  # normalised, compared
    text: str  # as written, shown


def _numbers_and_dates(sentence: str) -> tuple[list[_Mention], list[_Mention]]:
    dates: list[_Mention] = []
    spans: list[tuple[int, int]] = []
    for m in _DATE_RE.finditer(sentence):
        g = m.groupdict()
        month = g["m1"] or g["m2"] or g["m3"]
        # A bare month name counts only capitalised, and "May" (a verb too) only before a year.
        if (
            g["m3"]
            and not g["y3"]
            and (not month[0].isupper() or month.rstrip(".").lower() in ("may", "mar", "jan"))
        ):
            continue
        if month:
            mo = _MONTHS.get(month.rstrip(".").lower(), 0)
            day = g["d1"] or g["d2"] or ""
            year = g["y1"] or g["y2"] or g["y3"] or ""
            value = f"{year or '?'}-{mo:02d}-{int(day):02d}" if day else f"{year or '?'}-{mo:02d}"
        elif g["iy"]:
            value = f"{g['iy']}-{g['im']}-{g['id']}"
        elif g["sy"]:
            year = g["sy"] if len(g["sy"]) == 4 else "20" + g["sy"]
            value = f"{year}-{int(g['sm']):02d}-{int(g['sd']):02d}"  # day first (not US)
        elif g["wd"]:
            value = g["wd"].lower()
        elif g["q"]:
            value = f"{g['qy']}-{g['q'].upper()}"
        elif g["hh"]:
            hour = int(g["hh"]) % 12 + (12 if (g["ampm"] or "").lower() == "p" else 0)
            if not g["ampm"]:
                hour = int(g["hh"])
            value = f"T{hour:02d}:{g['mm']}"
        else:
            value = g["y"]
        dates.append(_Mention(value, m.group(0).strip()))
        spans.append(m.span())
    if spans:
        masked = list(sentence)
        for a, b in spans:
            masked[a:b] = " " * (b - a)
        sentence = "".join(masked)
    numbers: list[_Mention] = []
    for m in _NUMBER_RE.finditer(sentence):
        g = m.groupdict()
        amount = _decimal(g["num"])
        if g["sign"] == "-":
            amount = -amount
        scale = (g["scale"] or g["scalew"] or "").lower()
        if scale:
            amount = amount.scaleb(_SCALE_WORDS[scale])
        unit = "%" if g["pct"] and not g["pct"].lower().startswith(("percentage", "pp")) else ""
        if g["pct"] and not unit:
            unit = "pp"
        if g["ord"]:
            unit = "th"
        cur = _currency(g["cur"] or g["cur2"])
        numbers.append(_Mention(f"{cur}{_canon(amount)}{unit}", m.group(0).strip()))
    for m in _WORDNUM_RE.finditer(sentence):
        g = m.groupdict()
        if g["frac"]:
            n = _WORD_NUMBERS.get(g["frac_n"].lower(), 1)
            base = _FRACTIONS[g["frac"].lower()]
            value = f"{n}x{base}" if n != 1 else base
        elif g["tens"]:
            value = str(
                _WORD_NUMBERS[g["tens"].lower()] + _WORD_NUMBERS.get((g["unit"] or "").lower(), 0)
            )
        elif g["ordw"]:
            value = f"{_ORDINALS[g['ordw'].lower()]}th"
        else:
            word = g["word"].lower()
            value = {"hundred": "100", "dozen": "12", "half": "1/2"}.get(word) or str(
                _WORD_NUMBERS[word]
            )
        if g["scalew"]:
            value += "e" + g["scalew"].lower()
        numbers.append(_Mention(value, m.group(0).strip()))
    return numbers, dates


# --- negations, names ----------------------------------------------------------------------

_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nor",
        "neither",
        "without",
        "nobody",
        "nothing",
        "nowhere",
        "cannot",
    ]
)


def _negations(keys: list[str]) -> int:
    return sum(1 for k in keys if k in _NEGATIONS or k.endswith("n't") or k.endswith("nt'"))


# Capitalised at the start of a sentence for grammar, not because they are names.
_STARTERS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "they",
        "them",
        "then",
        "than",
        "it",
        "its",
        "it's",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "us",
        "you",
        "your",
        "i",
        "i'm",
        "i've",
        "i'd",
        "my",
        "me",
        "in",
        "on",
        "at",
        "of",
        "for",
        "from",
        "to",
        "by",
        "with",
        "without",
        "as",
        "and",
        "but",
        "or",
        "nor",
        "so",
        "yet",
        "if",
        "when",
        "while",
        "where",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "how",
        "after",
        "before",
        "since",
        "until",
        "during",
        "about",
        "above",
        "below",
        "over",
        "under",
        "between",
        "among",
        "through",
        "into",
        "onto",
        "upon",
        "despite",
        "although",
        "though",
        "because",
        "however",
        "meanwhile",
        "moreover",
        "furthermore",
        "also",
        "still",
        "even",
        "only",
        "just",
        "both",
        "each",
        "every",
        "either",
        "neither",
        "some",
        "many",
        "most",
        "more",
        "much",
        "few",
        "several",
        "all",
        "any",
        "no",
        "not",
        "none",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "last",
        "next",
        "first",
        "second",
        "third",
        "new",
        "other",
        "another",
        "such",
        "according",
        "earlier",
        "later",
        "today",
        "yesterday",
        "tomorrow",
        "now",
        "here",
        "overall",
        "instead",
        "officials",
        "analysts",
        "experts",
        "critics",
        "residents",
        "people",
        "researchers",
        "figures",
        "data",
        "results",
        "the",
        "government",
        "ministers",
        "police",
    ]
)
_NAME_PUNCT = "\"'()[]{},.;:!?"


def _names(words: list[str], starts: list[bool]) -> Counter[str]:
    """Capitalised word runs (persons, places, organisations), possessives dropped."""
    names: Counter[str] = Counter()
    run: list[str] = []
    for w, start in zip(words, starts, strict=True):
        core = w.strip(_NAME_PUNCT)
        if core.endswith("'s"):
            core = core[:-2]
        is_name = (
            len(core) > 1
            and core[0].isupper()
            and not core.replace("-", "").isdigit()
            and core.casefold() not in _MONTHS
            and core.casefold() not in _WEEKDAYS
            and not (start and core.casefold() in _STARTERS)
        )
        if is_name:
            run.append(core)
        if run and (not is_name or w[-1:] in ",.;:!?)\"'"):
            names[" ".join(run)] += 1
            run = []
    if run:
        names[" ".join(run)] += 1
    return names


# --- the comparison ------------------------------------------------------------------------


@dataclass
class _Side:
    """The unmatched paragraphs of one side as words, with sentence and paragraph ids."""

    words: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    sentence: list[int] = field(default_factory=list)  # word -> sentence id
    starts: list[bool] = field(default_factory=list)  # word begins its sentence
    paragraph_of_sentence: list[int] = field(default_factory=list)
    sentence_words: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of words
    paragraphs: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, paras: list[str]) -> _Side:
        side = cls(paragraphs=paras)
        for p_id, para in enumerate(paras):
            words = para.split()
            ends = _sentence_ends(words)
            start = True
            for w, end in zip(words, ends, strict=True):
                if start:
                    side.paragraph_of_sentence.append(p_id)
                    side.sentence_words.append((len(side.words), len(side.words)))
                side.words.append(w)
                side.keys.append(_key(w))
                side.sentence.append(len(side.paragraph_of_sentence) - 1)
                side.starts.append(start)
                first, _ = side.sentence_words[-1]
                side.sentence_words[-1] = (first, len(side.words))
                start = end
        return side

    def text(self, sentences: list[int]) -> str:
        return " ".join(" ".join(self.words[slice(*self.sentence_words[s])]) for s in sentences)

    def unit(self, sentences: list[int]) -> tuple[list[str], list[str], list[bool]]:
        words: list[str] = []
        keys: list[str] = []
        starts: list[bool] = []
        for s in sentences:
            a, b = self.sentence_words[s]
            words += self.words[a:b]
            keys += self.keys[a:b]
            starts += self.starts[a:b]
        return words, keys, starts


_CORRECTION_RE = re.compile(
    r"^(?:correction|corrections|clarification|editor'?s note|update|amendment|erratum)\b"
    r"|\b(?:this (?:article|story|report|page|piece|release|table|publication) (?:has been|was)"
    r" (?:amended|corrected|updated|revised|changed))"
    r"|\ban earlier version of this\b|\b(?:we|the \w+) (?:incorrectly|wrongly|mistakenly)"
    r" (?:said|stated|reported)\b|\bcorrected on\b|\bwas corrected\b",
    re.I,
)


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _pairs(before: list[_Mention], after: list[_Mention]) -> list[dict[str, str | None]]:
    """The differing mentions, aligned in order: replaced ones paired, others against None."""
    out: list[dict[str, str | None]] = []
    sm = SequenceMatcher(None, [m.value for m in before], [m.value for m in after], False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        olds, news = before[i1:i2], after[j1:j2]
        for k in range(max(len(olds), len(news))):
            out.append(
                {
                    "before": olds[k].text if k < len(olds) else None,
                    "after": news[k].text if k < len(news) else None,
                }
            )
    return out


def _split_matched(before: list[str], after: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Pair identical paragraphs in any order: (unpaired before, unpaired after, paired)."""
    remaining = Counter(after)
    left_before = []
    paired = []
    for p in before:
        if remaining[p] > 0:
            remaining[p] -= 1
            paired.append(p)
        else:
            left_before.append(p)
    left_after = []
    for p in after:
        if remaining[p] > 0:
            remaining[p] -= 1
            left_after.append(p)
    return left_before, left_after, paired


def compare(before_text: str, after_text: str) -> Comparison:
    """Compare a main text as cited with the main text now (see the module docstring)."""
    if before_text == after_text:
        return Comparison(changed=False, reasons=[], similarity=1.0)
    # Raw lines identical on both sides are paired before any normalisation: on a 50 KB page
    # that is nearly all of them, and normalising only the rest keeps a recheck cheap. The
    # paired lines count for the similarity unless they are furniture.
    raw_b, raw_a, paired = _split_matched(
        [ln.strip() for ln in before_text.splitlines()],
        [ln.strip() for ln in after_text.splitlines()],
    )
    left_b, left_a, paired_norm = _split_matched(_normalise(raw_b), _normalise(raw_a))
    matched = _words([ln for ln in paired if len(ln) > _MAX_FURNITURE_LINE or _clean_line(ln)])
    matched += _words(paired_norm)
    total_before = matched + _words(left_b)
    total_after = matched + _words(left_a)
    if not left_b and not left_a:
        return Comparison(changed=False, reasons=[], similarity=1.0)

    b, a = _Side.of(left_b), _Side.of(left_a)
    sm = SequenceMatcher(None, b.keys, a.keys, autojunk=len(b.keys) > 2000)
    b_matched = [False] * len(b.words)
    a_matched = [False] * len(a.words)
    # Sentences joined by matched words form units (a union-find over both sides' sentences;
    # before sentence s is node s, after sentence t is node nb + t).
    nb = len(b.paragraph_of_sentence)
    parent = list(range(nb + len(a.paragraph_of_sentence)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, n in sm.get_matching_blocks():
        for k in range(n):
            b_matched[i + k] = a_matched[j + k] = True
            x, y = find(b.sentence[i + k]), find(nb + a.sentence[j + k])
            if x != y:
                parent[x] = y
        matched += n

    reasons: list[Reason] = []
    seen: set[tuple[str, str]] = set()

    def add(code: str, message: str) -> None:
        if (code, message) not in seen:
            seen.add((code, message))
            reasons.append(Reason(code, message))

    # Whole paragraphs added or removed (few of their words matched anything).
    gone_b = _gone_paragraphs(b, b_matched)
    gone_a = _gone_paragraphs(a, a_matched)
    for p in sorted(gone_b):
        add("paragraph_removed", f"paragraph removed: {_short(b.paragraphs[p])}")
    for p in sorted(gone_a):
        add("paragraph_added", f"paragraph added: {_short(a.paragraphs[p])}")
        if _CORRECTION_RE.search(a.paragraphs[p]):
            add("correction_note", f"correction or editor's note: {_short(a.paragraphs[p])}")

    units: dict[int, tuple[list[int], list[int]]] = {}
    for s in range(nb):
        if b.paragraph_of_sentence[s] not in gone_b:
            units.setdefault(find(s), ([], []))[0].append(s)
    for t in range(len(a.paragraph_of_sentence)):
        if a.paragraph_of_sentence[t] not in gone_a:
            units.setdefault(find(nb + t), ([], []))[1].append(t)

    changed_numbers: list[dict[str, str | None]] = []
    changed_dates: list[dict[str, str | None]] = []
    for sents_b, sents_a in units.values():
        if all(b_matched[w] for s in sents_b for w in range(*b.sentence_words[s])) and all(
            a_matched[w] for t in sents_a for w in range(*a.sentence_words[t])
        ):
            continue  # only paragraph boundaries moved
        words_b, keys_b, starts_b = b.unit(sents_b)
        words_a, keys_a, starts_a = a.unit(sents_a)
        text_b, text_a = " ".join(words_b), " ".join(words_a)
        material = False
        nums_b, dates_b = _numbers_and_dates(text_b)
        nums_a, dates_a = _numbers_and_dates(text_a)
        if [m.value for m in nums_b] != [m.value for m in nums_a]:
            found = _pairs(nums_b, nums_a)
            changed_numbers += found
            shown = ", ".join(f"{p['before'] or '-'} -> {p['after'] or '-'}" for p in found)
            add("number_changed", f"numbers changed ({shown}) in: {_short(text_a or text_b)}")
            material = True
        if [m.value for m in dates_b] != [m.value for m in dates_a]:
            found = _pairs(dates_b, dates_a)
            changed_dates += found
            shown = ", ".join(f"{p['before'] or '-'} -> {p['after'] or '-'}" for p in found)
            add("date_changed", f"dates changed ({shown}) in: {_short(text_a or text_b)}")
            material = True
        neg_b, neg_a = _negations(keys_b), _negations(keys_a)
        if neg_b != neg_a:
            what = "added" if neg_a > neg_b else "removed"
            add("negation_changed", f"negation {what} in: {_short(text_a or text_b)}")
            material = True
        names_b, names_a = _names(words_b, starts_b), _names(words_a, starts_a)
        if names_b != names_a:
            lost = ", ".join(sorted((names_b - names_a).keys()))
            new = ", ".join(sorted((names_a - names_b).keys()))
            add("name_changed", f"names changed ({lost or '-'} -> {new or '-'})")
            material = True
        if sents_a and not sents_b or sents_b and not sents_a:
            fresh = bool(sents_a)
            if _CORRECTION_RE.search(text_a):
                add("correction_note", f"correction or editor's note: {_short(text_a)}")
            elif not material and len(words_a if fresh else words_b) >= _MIN_SENTENCE_WORDS:
                add(
                    "text_rewritten",
                    f"sentence {'added' if fresh else 'removed'}: {_short(text_a or text_b)}",
                )
            continue
        if _CORRECTION_RE.search(text_a) and not _CORRECTION_RE.search(text_b):
            add("correction_note", f"correction or editor's note: {_short(text_a)}")
        if not material:
            kept = sum(1 for s in sents_b for w in range(*b.sentence_words[s]) if b_matched[w])
            kept += sum(1 for t in sents_a for w in range(*a.sentence_words[t]) if a_matched[w])
            if kept / (len(words_b) + len(words_a)) < REWRITE_SIMILARITY:
                add("text_rewritten", f"sentence rewritten: {_short(text_a)}")

    total = total_before + total_after
    similarity = round(2 * matched / total, 4) if total else 1.0
    return Comparison(
        changed=bool(reasons),
        reasons=reasons,
        similarity=min(similarity, 1.0),
        changed_numbers=changed_numbers,
        changed_dates=changed_dates,
    )


def _gone_paragraphs(side: _Side, matched: list[bool]) -> set[int]:
    kept: Counter[int] = Counter()
    size: Counter[int] = Counter()
    for w, s in enumerate(side.sentence):
        p = side.paragraph_of_sentence[s]
        size[p] += 1
        kept[p] += matched[w]
    return {p for p in size if kept[p] < PARAGRAPH_KEPT_SHARE * size[p]}


# --- the diff to read ----------------------------------------------------------------------


def _trim(words: list[str], lead: bool, tail: bool) -> str:
    """An equal run cut to CONTEXT_WORDS at the ends that touch a change."""
    n = CONTEXT_WORDS
    if len(words) <= 2 * n + 1 and lead and tail:
        return " ".join(words)
    if lead and tail:
        return " ".join(words[:n]) + " … " + " ".join(words[-n:])
    if tail:  # a change follows: keep the end
        return ("… " if len(words) > n else "") + " ".join(words[-n:])
    if lead:
        return " ".join(words[:n]) + (" …" if len(words) > n else "")
    return "…"


def diff(
    before_text: str, after_text: str, *, comparison: Comparison | None = None
) -> dict[str, Any]:
    """The word-level difference between two main texts, for a reader.

    ``{"changed_numbers": [{"before", "after"}], "changed_dates": [...], "hunks": [{"op",
    "before", "after"}]}``, ops ``equal`` | ``delete`` | ``insert`` | ``replace``; equal runs
    are trimmed to CONTEXT_WORDS words around each change. Paragraphs are diffed first, then
    the words of the paragraphs that differ, so a long page costs little. A moved paragraph
    shows as a delete and an insert (``compare`` does not count it as a change).
    ``comparison``: ``compare(before_text, after_text)`` when the caller has it already.
    """
    result = comparison if comparison is not None else compare(before_text, after_text)
    before, after = paragraphs(before_text), paragraphs(after_text)
    # Paragraph level first: equal paragraphs become equal word runs without a word diff.
    ops: list[tuple[str, list[str], list[str]]] = []
    psm = SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in psm.get_opcodes():
        wb = " ".join(before[i1:i2]).split()
        wa = " ".join(after[j1:j2]).split()
        if op == "equal":
            ops.append(("equal", wb, wa))
            continue
        sm = SequenceMatcher(None, [_key(w) for w in wb], [_key(w) for w in wa], autojunk=False)
        for wop, x1, x2, y1, y2 in sm.get_opcodes():
            ops.append((wop, wb[x1:x2], wa[y1:y2]))
    # Merge neighbours with the same op (paragraph-level and word-level equal runs).
    merged: list[tuple[str, list[str], list[str]]] = []
    for kind, wb, wa in ops:
        if not wb and not wa:
            continue
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + wb, merged[-1][2] + wa)
        else:
            merged.append((kind, wb, wa))
    hunks = []
    for k, (kind, wb, wa) in enumerate(merged):
        if kind == "equal":
            lead, tail = k > 0, k < len(merged) - 1
            hunks.append(
                {"op": kind, "before": _trim(wb, lead, tail), "after": _trim(wa, lead, tail)}
            )
        else:
            hunks.append({"op": kind, "before": " ".join(wb), "after": " ".join(wa)})
    return {
        "changed_numbers": result.changed_numbers,
        "changed_dates": result.changed_dates,
        "hunks": hunks,
    }
