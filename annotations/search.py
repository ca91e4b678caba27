"""Full-text search of claims: quote, summary, claimant, tags and the article's title,
accent- and case-insensitive ("Marquez" finds "Márquez"), ranked.

PostgreSQL: `annotations_claim.search_vector`, a tsvector of `unaccent`-ed words (quote
weighted A, summary B, claimant C, tags and article title D) that triggers keep current
whenever a claim's words or its article's title change, however they are written (services,
bulk inserts, COPY); a GIN index serves the search (migration 0009_claim_search). It is no
Django field: no query loads it and no history row copies it.

SQLite (the embedded default): the same fields folded in Python (`fold`, registered on each
connection as `factcheck_fold`) and matched word by word with LIKE; ranked by the words found
in the quote. A scan, fine at the embedded default's size.

Input is never passed to a query parser: it is split into words here (letters and digits),
each word quoted as a literal and matched as a prefix, so `&|!():*<>` and the like are only
separators. A search longer than SEARCH_MAX_CHARS is refused (DomainError, a 400).

Ordered by rank (a search's default order), a list ranks its newest SEARCH_RANK_WINDOW
matches (`claims_rank_window`), so that a word found in a quarter of the archive costs a page
the same at any size of archive; ordered by anything else it lists every match.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.contrib.postgres.search import SearchQueryField, SearchVectorField
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    FloatField,
    Func,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Col
from django.db.models.functions import Cast, Concat
from django.db.models.sql.where import WhereNode

from factcheck.counting import COUNT_CAP
from factcheck.errors import DomainError

SEARCH_MAX_CHARS = 500
# Words beyond these are ignored (a search is a few words, not a paragraph).
SEARCH_MAX_TERMS = 12
TERM_MAX_CHARS = 100
# A search in its default order, best match first, ranks its newest this many matches
# (`claims_rank_window`): one more than a capped count reads, so lists of more read "1,000+".
SEARCH_RANK_WINDOW = COUNT_CAP + 1

# Letters and digits of any script; everything else separates words.
_WORD = re.compile(r"[^\W_]+")
# What NFKD does not take apart: letters that are not a base letter plus a mark.
_FOLD_EXTRA = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)


def fold(text: str | None) -> str:
    """Lower case without accents, close to PostgreSQL's `lower(unaccent(...))`."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold().translate(_FOLD_EXTRA)


def search_terms(text: str | None, *, field: str = "search") -> list[str]:
    """The words of a search, in order, once each (at most SEARCH_MAX_TERMS).

    An empty list for a search of no words (empty, or only punctuation): callers then
    filter nothing. Longer than SEARCH_MAX_CHARS: a DomainError naming `field`.
    """
    if not text:
        return []
    if len(text) > SEARCH_MAX_CHARS:
        raise DomainError(
            f"A search is at most {SEARCH_MAX_CHARS} characters ({len(text):,} sent).",
            field=field,
        )
    words = dict.fromkeys(w[:TERM_MAX_CHARS] for w in _WORD.findall(text))
    return list(words)[:SEARCH_MAX_TERMS]


def _postgres(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


# --- PostgreSQL -------------------------------------------------------------------------------

_SEARCH_VECTOR = SearchVectorField()
_SEARCH_VECTOR.set_attributes_from_name("search_vector")


class ClaimSearchVector(Expression):
    """The claim table's `search_vector` column, under whatever alias the query gives the
    claim table (a Col relabels itself inside subqueries)."""

    output_field = SearchVectorField()

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> Any:
        return Col(query.get_initial_alias(), _SEARCH_VECTOR, output_field=SearchVectorField())


# One word as a quoted prefix lexeme (`'marquez':*`; with a weight letter, only words of that
# weight), unaccent-ed in SQL so that it folds exactly as the stored vector did. The word is a
# bound parameter, the weight a constant (never input).
_PREFIX_SQL = "to_tsquery('simple', quote_literal(unaccent(%s)) || ':*{weight}')"
_WORD_SQL = "to_tsquery('simple', quote_literal(unaccent(%s)){weight})"


def _tsqueries(
    terms: list[str], *, weight: str = "", using: str = "default"
) -> tuple[Expression, Expression]:
    """(the query to match, the query to rank): every term as a prefix, AND-ed, each a
    constant tsquery (`'okonkwo':*`).

    Built by the database once (one short query), not by functions in the search's own SQL:
    PostgreSQL would call to_tsquery and unaccent again for every row it filters or ranks, and
    would plan without knowing the words.

    The query to match writes each term as the whole word OR the prefix
    (`'okonkwo' | 'okonkwo':*`), which matches the same claims: PostgreSQL estimates a prefix
    at a fixed 2 % of the rows whatever the word, a whole word from the column's statistics.
    With that estimate a word said in a quarter of the claims is found by walking the newest
    claims down the created_at index and stopping at the LIMIT, and a rare word by the GIN
    index; both read a bounded number of rows. The rank reads the plain prefix query.
    """
    assert weight in ("", "A", "B", "C", "D")
    whole = f" || ':{weight}'" if weight else ""
    ranked = " && ".join(_PREFIX_SQL.format(weight=weight) for _ in terms)
    matched = " && ".join(
        f"({_WORD_SQL.format(weight=whole)} || {_PREFIX_SQL.format(weight=weight)})" for _ in terms
    )
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT ({matched})::text, ({ranked})::text",
            [p for t in terms for p in (t, t)] + list(terms),
        )
        match_text, rank_text = cursor.fetchone()
    return (
        Cast(Value(match_text), output_field=SearchQueryField()),
        Cast(Value(rank_text), output_field=SearchQueryField()),
    )


class _Matches(Func):
    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()


class _InArray(Func):
    template = "(%(expressions)s))"
    arg_joiner = " = ANY(ARRAY"
    output_field = BooleanField()


class _Rank(Func):
    function = "ts_rank"
    output_field = FloatField()


# --- SQLite -----------------------------------------------------------------------------------


class _Fold(Func):
    function = "factcheck_fold"


def _haystack() -> Expression:
    text = Concat(
        "exact",
        Value(" "),
        "summary",
        Value(" "),
        "claimant",
        Value(" "),
        Cast("tags", output_field=TextField()),
        Value(" "),
        F("article__title"),
        output_field=TextField(),
    )
    return _Fold(text, output_field=TextField())


# --- The searches -----------------------------------------------------------------------------


def claims_search(queryset: QuerySet[Any], text: str | None, *, field: str = "search") -> Any:
    """Claims matching every word of `text` (as word prefixes), annotated with
    `search_rank` (a float, higher first). No words: the queryset as it is, ranked 0."""
    terms = search_terms(text, field=field)
    if not terms:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    if _postgres(queryset.db):
        matched, ranked = _tsqueries(terms, using=queryset.db)
        vector = ClaimSearchVector()
        return queryset.filter(_Matches(vector, matched)).annotate(
            # float8: the cursor pagination compares a rank it printed with the stored one.
            search_rank=Cast(_Rank(vector, ranked), output_field=FloatField())
        )
    folded = [fold(t) for t in terms]
    queryset = queryset.alias(
        _search_haystack=_haystack(), _search_quote=_Fold("exact", output_field=TextField())
    )
    for term in folded:
        queryset = queryset.filter(_search_haystack__contains=term)
    found_in_quote = [
        Case(When(_search_quote__contains=t, then=Value(1.0)), default=Value(0.0)) for t in folded
    ]
    rank: Any = found_in_quote[0]
    for more in found_in_quote[1:]:
        rank = rank + more
    return queryset.annotate(search_rank=Cast(rank, output_field=FloatField()))


def claims_rank_window(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """A searched queryset cut to its newest SEARCH_RANK_WINDOW claims, for ordering by rank.

    Ranking reads every row it ranks: a word said in a quarter of the archive would rank a
    quarter of the archive for each page. The newest matches are found by an index (GIN for a
    rare word, the created_at index for a common one, see `_tsquery`) and only they are ranked,
    so a page costs the same in an archive ten times the size. Ordered by anything else
    (`ordering=-created`, ...), a search lists every match.
    """
    if queryset.query.is_empty():
        return queryset
    newest = queryset.order_by("-created_at", "-pk").values("pk")[:SEARCH_RANK_WINDOW]
    # Every condition of the queryset is in `newest`; the outer query keeps the queryset's
    # columns, joins and annotations and reads the window's rows by primary key. Left in the
    # outer query, the search condition would have the planner read every match again.
    window = queryset.all()
    window.query.where = WhereNode()
    if _postgres(queryset.db):
        # `= ANY(ARRAY(...))`: the window's ids as one array, read by the primary key (an IN
        # subquery is planned as a join, and at this size a join is a scan of every claim).
        return window.filter(_InArray(F("pk"), Subquery(newest)))
    return window.filter(pk__in=newest)


def claims_claimant(queryset: QuerySet[Any], text: str | None, *, field: str = "claimant") -> Any:
    """Claims whose claimant has every word of `text` (word prefixes, accents and case
    ignored): "okonkwo" finds "Dr. Chidi Okonkwo". No words: the queryset as it is."""
    terms = search_terms(text, field=field)
    if not terms:
        return queryset
    if _postgres(queryset.db):
        # The claimant's words carry weight C in the vector: the same GIN index answers.
        matched, _ = _tsqueries(terms, weight="C", using=queryset.db)
        return queryset.filter(_Matches(ClaimSearchVector(), matched))
    queryset = queryset.alias(_search_claimant=_Fold("claimant", output_field=TextField()))
    for term in terms:
        queryset = queryset.filter(_search_claimant__contains=fold(term))
    return queryset


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: `factcheck_fold` on SQLite connections."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("factcheck_fold", 1, fold, deterministic=True)
