"""Selectors, offsets and re-anchoring: annotations.anchoring (pure, no database)."""

from __future__ import annotations

import unicodedata

import pytest

from annotations.anchoring import (
    CONTEXT,
    AnchorError,
    OffsetMap,
    Span,
    codepoint_to_utf16,
    normalize_text,
    reanchor,
    resolve_selectors,
    utf16_to_codepoint,
)

TEXT = (
    "The mayor said unemployment fell to 4% last year. Critics disagree.\n\n"
    "The mayor said the budget is balanced. Auditors found a deficit of $2 million.\n\n"
    "Residents were not asked."
)


def anchor_error(**kwargs: object) -> AnchorError:
    with pytest.raises(AnchorError) as info:
        resolve_selectors(TEXT, **kwargs)  # type: ignore[arg-type]
    return info.value


# --- normalize_text ---------------------------------------------------------------------------


def test_normalize_text_nfc_and_line_ends() -> None:
    assert normalize_text("cafe\u0301\r\nnext\rline") == "caf\u00e9\nnext\nline"


def test_normalize_text_refuses_nul() -> None:
    with pytest.raises(AnchorError) as info:
        normalize_text("a\x00b")
    assert info.value.field == "text"
    assert "NUL" in info.value.message


def test_normalize_text_refuses_lone_surrogate() -> None:
    with pytest.raises(AnchorError) as info:
        normalize_text("a\ud83db", field="exact")
    assert info.value.field == "exact"
    assert "surrogate" in info.value.message
    assert info.value.as_dict() == {"exact": [info.value.message]}


def test_normalize_text_keeps_astral_characters() -> None:
    assert normalize_text("ok 👍🏽") == "ok 👍🏽"


# --- resolve_selectors: the two selectors and fill-in -----------------------------------------


def test_offsets_only_fill_in_quote_and_context() -> None:
    start = TEXT.index("unemployment")
    span = resolve_selectors(TEXT, start=start, end=start + len("unemployment fell to 4%"))
    assert span.exact == "unemployment fell to 4%"
    assert span.prefix == TEXT[max(0, start - CONTEXT) : start] == "The mayor said "
    assert span.suffix == TEXT[span.end : span.end + CONTEXT]
    assert len(span.suffix) == CONTEXT


def test_quote_only_fills_in_offsets() -> None:
    span = resolve_selectors(TEXT, exact="a deficit of $2 million")
    assert TEXT[span.start : span.end] == "a deficit of $2 million"
    assert span.prefix.endswith("Auditors found ")


def test_offsets_and_quote_that_agree() -> None:
    start = TEXT.index("Critics")
    span = resolve_selectors(TEXT, start=start, end=start + 16, exact="Critics disagree")
    assert span == Span.at(TEXT, start, start + 16)


def test_offsets_and_quote_that_disagree_say_what_the_text_reads() -> None:
    err = anchor_error(start=0, end=9, exact="The mayer")
    assert err.field == "exact"
    assert "'The mayor'" in err.message
    assert "0..9" in err.message


def test_quote_is_normalized_before_matching() -> None:
    text = "Le caf\u00e9 est ouvert."
    span = resolve_selectors(text, exact="cafe\u0301 est")
    assert (span.start, span.end) == (3, 11)


@pytest.mark.parametrize(
    ("kwargs", "field", "needle"),
    [
        ({}, "non_field_errors", "give start and end"),
        ({"start": 0}, "end", "end is required"),
        ({"end": 4}, "start", "start is required"),
        ({"start": -1, "end": 4}, "start", "negative"),
        (
            {"start": 0, "end": len(TEXT) + 1},
            "end",
            f"past the end of the text (length {len(TEXT)})",
        ),
        ({"start": len(TEXT), "end": len(TEXT) + 1}, "start", "past the end"),
        ({"start": 5, "end": 5}, "start", "start must be before end"),
        ({"start": 9, "end": 3}, "start", "start must be before end"),
        ({"start": True, "end": 3}, "start", "integer"),
        ({"start": "0", "end": 3}, "start", "integer"),
        ({"exact": ""}, "exact", "empty"),
        ({"exact": " \n "}, "exact", "whitespace"),
        ({"exact": TEXT + "!"}, "exact", "longer"),
        ({"exact": "inflation"}, "exact", "does not occur"),
        ({"exact": "a\x00b"}, "exact", "NUL"),
    ],
)
def test_invalid_selectors_name_the_field(
    kwargs: dict[str, object], field: str, needle: str
) -> None:
    err = anchor_error(**kwargs)
    assert err.field == field
    assert needle in err.message
    assert str(err) == err.message


def test_whitespace_only_span_by_offsets_is_refused() -> None:
    gap = TEXT.index("\n\n")
    err = anchor_error(start=gap, end=gap + 2)
    assert err.field == "non_field_errors"
    assert "whitespace" in err.message


# --- resolve_selectors: ambiguity -------------------------------------------------------------


def test_ambiguous_quote_reports_the_count() -> None:
    err = anchor_error(exact="The mayor said")
    assert err.field == "exact"
    assert err.message == "the quote occurs 2 times; give prefix/suffix or start"


def test_prefix_disambiguates() -> None:
    span = resolve_selectors(TEXT, exact="The mayor said", prefix="Critics disagree.\n\n")
    assert span.start == TEXT.index("The mayor said the budget")


def test_suffix_disambiguates() -> None:
    span = resolve_selectors(TEXT, exact="The mayor said", suffix=" unemployment")
    assert span.start == 0


def test_position_hint_disambiguates() -> None:
    second = TEXT.index("The mayor said the budget")
    span = resolve_selectors(TEXT, exact="The mayor said", start=second - 3)
    assert span.start == second
    span = resolve_selectors(TEXT, exact="The mayor said", start=2)
    assert span.start == 0


def test_prefix_that_matches_nowhere_with_the_quote() -> None:
    err = anchor_error(exact="The mayor said", prefix="Nobody ")
    assert err.field == "prefix"
    assert "occurs 2 times" in err.message


def test_suffix_that_matches_nowhere_with_the_quote() -> None:
    err = anchor_error(exact="The mayor said", suffix=" nothing")
    assert err.field == "suffix"


def test_context_given_with_offsets_must_agree() -> None:
    err = anchor_error(start=4, end=9, exact="mayor", prefix="A ")
    assert err.field == "prefix"
    assert "'e '" in err.message
    assert resolve_selectors(TEXT, start=4, end=9, prefix="The ", suffix=" said").exact == "mayor"


# --- Unicode ----------------------------------------------------------------------------------

EMOJI_TEXT = "Fans 👍🏽 the plan: 市長は失業率が下がったと述べた。 Done."


def test_astral_emoji_counts_code_points() -> None:
    span = resolve_selectors(EMOJI_TEXT, exact="👍🏽 the plan")
    assert (span.start, span.end) == (5, 16)  # the emoji is 2 code points (thumb + skin tone)
    assert EMOJI_TEXT[span.start : span.end] == "👍🏽 the plan"


def test_cjk_quote_and_context() -> None:
    span = resolve_selectors(EMOJI_TEXT, exact="失業率が下がった")
    assert EMOJI_TEXT[span.start : span.end] == "失業率が下がった"
    assert span.prefix.endswith("市長は")
    assert span.suffix.startswith("と述べた。")


def test_combining_sequence_and_precomposed_match_after_normalization() -> None:
    decomposed = "Ren\u0065\u0301 said no."
    text = normalize_text(decomposed)
    assert text == "Ren\u00e9 said no."
    span = resolve_selectors(text, exact="Rene\u0301")  # client sent NFD
    assert (span.start, span.end) == (0, 4)
    assert unicodedata.is_normalized("NFC", span.exact)


def test_utf16_to_codepoint_and_back() -> None:
    # "Fans " (5) + U+1F44D (2 units) + U+1F3FD (2 units) + " the": code points 0..11.
    text = EMOJI_TEXT
    assert utf16_to_codepoint(text, 5) == 5
    assert utf16_to_codepoint(text, 7) == 6
    assert utf16_to_codepoint(text, 9) == 7
    assert codepoint_to_utf16(text, 6) == 7
    assert codepoint_to_utf16(text, 7) == 9
    assert codepoint_to_utf16(text, len(text)) == len(text.encode("utf-16-le")) // 2
    for cp in range(len(text) + 1):
        assert utf16_to_codepoint(text, codepoint_to_utf16(text, cp)) == cp


def test_utf16_offset_inside_surrogate_pair_is_refused() -> None:
    with pytest.raises(AnchorError) as info:
        utf16_to_codepoint(EMOJI_TEXT, 6, field="end")
    assert info.value.field == "end"
    assert "surrogate pair" in info.value.message


def test_utf16_offsets_out_of_range() -> None:
    with pytest.raises(AnchorError):
        utf16_to_codepoint("abc", 4)
    with pytest.raises(AnchorError):
        codepoint_to_utf16("abc", -1)


def test_offset_map_matches_utf16_encoding_everywhere() -> None:
    text = "a😀b𝄞c\U0010ffffd e\u0301 汉"
    m = OffsetMap(text)
    assert m.utf16_length == len(text.encode("utf-16-le")) // 2
    for cp in range(len(text) + 1):
        assert m.to_utf16(cp) == len(text[:cp].encode("utf-16-le")) // 2
    assert OffsetMap("plain ascii").to_codepoint(5) == 5


# --- reanchor ---------------------------------------------------------------------------------

ARTICLE = (
    "City council met on Tuesday. The mayor said unemployment fell to 4% last year. "
    "Critics disagree with the figure.\n\n"
    "The budget was approved by seven votes to two. Auditors found a deficit of $2 million. "
    "The session ended at nine."
)


def span_of(text: str, exact: str) -> Span:
    return resolve_selectors(text, exact=exact)


def test_reanchor_unchanged_text_keeps_everything() -> None:
    spans = [span_of(ARTICLE, "unemployment fell to 4%"), span_of(ARTICLE, "seven votes")]
    results = reanchor(ARTICLE, ARTICLE, spans)
    assert [r.state for r in results] == ["anchored", "anchored"]
    assert [r.span for r in results] == spans
    assert all(r.score == 1.0 and not r.quote_changed for r in results)


def test_reanchor_after_insertion_before_the_claim_shifts_it() -> None:
    claim = span_of(ARTICLE, "Auditors found a deficit of $2 million.")
    insertion = "Update: this story was corrected on Friday. "
    new = insertion + ARTICLE.replace("on Tuesday", "on Tuesday evening")
    [result] = reanchor(ARTICLE, new, [claim])
    assert result.state == "anchored"
    assert result.score == 1.0
    assert result.span is not None
    assert result.span.start == claim.start + len(insertion) + len(" evening")
    assert new[result.span.start : result.span.end] == claim.exact
    assert not result.quote_changed


def test_reanchor_after_a_word_changed_inside_the_quote() -> None:
    claim = span_of(ARTICLE, "The mayor said unemployment fell to 4% last year.")
    new = "Breaking. " + ARTICLE.replace("fell to 4%", "fell to 4.5%")
    [result] = reanchor(ARTICLE, new, [claim])
    assert result.state == "reanchored"
    assert result.quote_changed
    assert result.span is not None
    assert result.span.exact == "The mayor said unemployment fell to 4.5% last year."
    assert result.span.start == new.index("The mayor")
    assert 0.6 < result.score < 1.0


def test_reanchor_when_the_sentence_was_deleted() -> None:
    claim = span_of(ARTICLE, "Auditors found a deficit of $2 million.")
    new = ARTICLE.replace("Auditors found a deficit of $2 million. ", "")
    [result] = reanchor(ARTICLE, new, [claim])
    assert result.state == "orphaned"
    assert result.span is None
    assert result.score == 0.0


def test_reanchor_moved_paragraph_is_found_again() -> None:
    first, second = ARTICLE.split("\n\n")
    new = second + "\n\n" + first
    claim = span_of(ARTICLE, "Critics disagree with the figure.")
    [result] = reanchor(ARTICLE, new, [claim])
    assert result.state in ("anchored", "reanchored")
    assert result.span is not None
    assert result.span.start == new.index("Critics")
    assert not result.quote_changed


def test_reanchor_overlapping_and_nested_spans_are_independent() -> None:
    outer = span_of(ARTICLE, "The mayor said unemployment fell to 4% last year.")
    inner = span_of(ARTICLE, "unemployment fell to 4%")
    overlapping = span_of(ARTICLE, "last year. Critics disagree")
    unrelated = span_of(ARTICLE, "seven votes to two")
    new = ARTICLE.replace("City council met on Tuesday.", "The council met.")
    results = reanchor(ARTICLE, new, [outer, inner, overlapping, unrelated])
    shift = len("The council met.") - len("City council met on Tuesday.")
    for original, result in zip([outer, inner, overlapping, unrelated], results, strict=True):
        assert result.state == "anchored"
        assert result.span is not None
        assert result.span.start == original.start + shift
        assert result.span.exact == original.exact


def test_reanchor_insertion_right_after_a_claim_stays_outside() -> None:
    claim = span_of(ARTICLE, "Critics disagree with the figure.")
    new = ARTICLE.replace("the figure.", "the figure. Critics disagree often.")
    [result] = reanchor(ARTICLE, new, [claim])
    assert result.span is not None
    assert result.span.exact == claim.exact
    assert result.span.start == claim.start


def test_reanchor_repeated_quote_picks_the_one_with_matching_context() -> None:
    text = "Alpha said yes. Then beta said no. " * 3 + "Gamma said yes."
    claim = Span.at(text, text.index("Gamma said yes") + 6, text.index("Gamma said yes") + 14)
    assert claim.exact == "said yes"
    new = "Intro. " + text.replace("Gamma", "Delta")
    [result] = reanchor(text, new, [claim])
    assert result.span is not None
    assert result.span.start == new.index("Delta said yes") + 6


def test_reanchor_with_astral_text_before_the_claim() -> None:
    old = "Fans 👍🏽 the plan. The mayor said taxes rose."
    new = "Fans 👍🏽👍🏽 loved the plan. The mayor said taxes rose."
    claim = span_of(old, "The mayor said taxes rose.")
    [result] = reanchor(old, new, [claim])
    assert result.state == "anchored"
    assert result.span is not None
    assert result.span.start == new.index("The mayor")


def test_reanchor_of_unrelated_text_orphans() -> None:
    claim = span_of(ARTICLE, "Auditors found a deficit of $2 million.")
    [result] = reanchor(ARTICLE, "Completely different words here, nothing alike.", [claim])
    assert result.state == "orphaned"
    assert reanchor(ARTICLE, "", [claim])[0].state == "orphaned"
    assert reanchor(ARTICLE, "x", []) == []


def test_reanchor_result_is_a_tuple_with_names() -> None:
    claim = span_of(ARTICLE, "seven votes")
    span, state, score, quote_changed = reanchor(ARTICLE, ARTICLE, [claim])[0]
    assert (span, state, score, quote_changed) == (claim, "anchored", 1.0, False)
