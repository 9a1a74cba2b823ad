"""Tests for briefing.answer.cite: marker parsing, citation checking and renumbering, exact quotes, the sources list."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import date

import pytest

from briefing.answer.cite import MAX_RANGE, MIN_SUPPORT, Marker, check, format_sources, parse_markers, support
from briefing.text import make_span
from briefing.types import Chunk, Citation, Document, Hit

# Paragraphs of corpus seed 003 (Politico via UNN, 2025-11-26), one passage each.
MACRON = (
    "On Tuesday evening, French President Emmanuel Macron announced the creation of a new joint working group - led "
    "by France and Great Britain with the participation of the US and Turkey. It aims to clarify the exact details "
    "of the military support that Europe will provide under a peace agreement, the publication writes."
)
STARMER = (
    "British Prime Minister Keir Starmer told conference call participants, including US Secretary of State Marco "
    'Rubio, that "multinational forces" would play a "vital role" in guaranteeing the country\'s security.'
)
COALITION = (
    "The meeting was intended to demonstrate solidarity with Ukraine in advancing delicate peace talks with the US - "
    'and to fulfill the promises of the 33-member "coalition of the willing" to back up words with deeds, the '
    "publication writes."
)
GERMANY = (
    "Germany has been somewhat more cautious about its involvement. Foreign Minister Johann Wadephul this week "
    'pointed to the existing German brigade in Lithuania, saying that "we are more involved in the entire region '
    'than almost any other NATO member," and that this is "enough."'
)
RESERVE = (
    'Macron, emphasizing that these forces would be "far from the front line," spoke of a presence "in reserve '
    'positions in Kyiv or Odesa."'
)
TROOPS = (
    "Its members have pledged varying degrees of support, including, in the case of France and Great Britain, a "
    "commitment to deploy national troops on the ground to monitor compliance with the agreement and deter further "
    "Russian aggression."
)
ARTICLE = "\n\n".join(["date 2025-11-26 European leaders are trying to define their plans.", "Details",
                       COALITION, MACRON, STARMER, "Nevertheless, analysts urged caution.", GERMANY, TROOPS, RESERVE])

# Claims an answer might make, and the passage that really says it.
C_MACRON = "Macron announced a new joint working group led by France and Great Britain."
C_STARMER = "Starmer said multinational forces would play a vital role in guaranteeing Ukraine's security."
C_GERMANY = "Germany has been more cautious, pointing to its brigade in Lithuania."
C_COALITION = "The 33-member coalition of the willing pledged to back up words with deeds."
C_AIMS = "The working group aims to clarify the military support Europe would provide under a peace agreement."


def make_doc(text: str, path: str = "news/003.txt", title: str = "Europe defines its plans for Ukraine",
             source: str | None = "UNN", published: date | None = date(2025, 11, 26), line: int | None = None
             ) -> Document:
    return Document(id=hashlib.sha256(text.encode()).hexdigest(), path=path, title=title, text=text,
                    published=published, source=source, line=line)


def make_hit(doc: Document, passage: str, ord_: int = 0) -> Hit:
    """A hit whose chunk is ``passage``, found in ``doc.text`` (so the chunk may start mid-document)."""
    start = doc.text.index(passage)
    span = make_span(doc, start, start + len(passage))
    return Hit(chunk=Chunk(doc_id=doc.id, ord=ord_, text=passage, span=span), doc=doc, score=1.0)


DOC = make_doc(ARTICLE)
# Passages 1..5 as given to the generator.
HITS = [make_hit(DOC, p, i) for i, p in enumerate([MACRON, STARMER, GERMANY, COALITION, TROOPS])]


def passage_of(c: Citation) -> int:
    """The 1-based passage number (into HITS) a citation points to."""
    return next(i for i, h in enumerate(HITS, 1) if h is c.hit)


def assert_exact(c: Citation) -> None:
    """The quote is verbatim in the document, at the span, on the lines the span claims, inside its passage."""
    doc, span = c.hit.doc, c.quote_span
    assert c.quote and c.quote == doc.text[span.char_start:span.char_end]
    assert c.hit.chunk.span.char_start <= span.char_start < span.char_end <= c.hit.chunk.span.char_end
    assert span.line_start == doc.text.count("\n", 0, span.char_start) + 1
    assert span.line_end == span.line_start + c.quote.count("\n")


# --- parse_markers ---------------------------------------------------------------------------------------------

PARSE_TABLE = [
    ("Macron spoke [1].", [(1,)]),
    ("Macron spoke [1, 2].", [(1, 2)]),
    ("Macron spoke [1,2].", [(1, 2)]),
    ("Macron spoke [ 3 ,  1 ].", [(3, 1)]),
    ("Macron spoke.[1][2]", [(1,), (2,)]),
    ("Macron spoke. [1] [2]", [(1,), (2,)]),
    ("Macron spoke [1-3].", [(1, 2, 3)]),
    ("Macron spoke [1–3].", [(1, 2, 3)]),  # en dash
    ("Macron spoke [1 - 3].", [(1, 2, 3)]),
    ("Macron spoke [1, 3-4].", [(1, 3, 4)]),
    ("Macron spoke [2-2].", [(2,)]),
    ("Macron spoke [0].", [(0,)]),  # parsed; check() rejects it
    ("Macron spoke [99].", [(99,)]),
    ("Macron spoke [1][1].", [(1,), (1,)]),  # two markers; check() collapses them
    ("Macron spoke [1, 1].", [(1,)]),
    ("Macron spoke [2, 1, 2].", [(2, 1)]),
    ("Macron spoke [2?].", [(2,)]),  # our unverified form, if a model copies it: re-checked, not left as text
    ("Macron spoke [1, 2?].", [(1, 2)]),
    ("Macron spoke [?].", []),
    ("Macron spoke [1?2].", []),
    ("Macron spoke [[1]].", [(1,)]),  # doubled brackets: one marker
    ("Macron spoke [[1, 2]].", [(1, 2)]),
    ("Macron spoke [see [1]].", [(1,)]),  # other nesting: only the inner marker
    ("Macron spoke [[1].", [(1,)]),
    ("Macron spoke [citation needed].", []),
    ("Macron spoke 1].", []),
    ("Macron spoke [1.", []),
    ("Macron spoke [a].", []),
    ("Macron spoke [1.5].", []),
    ("Macron spoke [].", []),
    ("Macron spoke [1,].", []),
    ("Macron spoke [-1].", []),
    ("See [the report](https://example.com/a).", []),
    ("See [1](https://example.com/a).", []),  # a markdown link, not a citation
    ("The match ended [3-1].", []),  # reversed range: not a citation
    ("Macron spoke [1234567890123].", []),  # too many digits to be a passage number
    ("Macron spoke [1-100000].", [tuple(range(1, MAX_RANGE + 1))]),  # absurd range: capped
    ("No markers at all.", []),
]


@pytest.mark.parametrize("text, expected", PARSE_TABLE)
def test_parse_markers(text: str, expected: list[tuple[int, ...]]) -> None:
    assert [m.numbers for m in parse_markers(text)] == expected


@pytest.mark.parametrize("text, expected", [
    ("Macron spoke [1, 2].", [Marker(13, 19, (1, 2))]),
    ("A.[1][2]", [Marker(2, 5, (1,)), Marker(5, 8, (2,))]),
    ("A [[1]] b", [Marker(2, 7, (1,))]),
    ("A [see [1]] b", [Marker(7, 10, (1,))]),
])
def test_parse_markers_positions(text: str, expected: list[Marker]) -> None:
    assert parse_markers(text) == expected


# --- support ---------------------------------------------------------------------------------------------------

# (passage, claim, supported?) — the evidence for MIN_SUPPORT: true rows score >= 0.75, false rows <= 0.5.
SUPPORT_TABLE = [
    (MACRON, C_MACRON, True),
    (MACRON, "French President Emmanuel Macron announced a working group with the participation of the US and "
             "Turkey.", True),
    (MACRON, C_AIMS, True),  # needs both sentences: "working group" is in the first, "aims" in the second
    (STARMER, C_STARMER, True),
    (COALITION, C_COALITION, True),
    (GERMANY, C_GERMANY, True),
    (RESERVE, "Macron said the forces would be far from the front line, in reserve positions in Kyiv or Odesa.", True),
    (TROOPS, "France and Britain have committed to deploying troops on the ground to monitor the agreement.", True),
    (TROOPS, "France and Britain committed to deploy national troops to deter Russian aggression.", True),
    (STARMER, "Starmer told allies, including Rubio, that multinational forces were vital to Ukraine's security.",
     True),
    # claims whose words are in another passage of the same story
    (STARMER, C_MACRON, False),
    (MACRON, C_STARMER, False),
    (GERMANY, "France and Britain have committed to deploying troops on the ground to monitor the agreement.", False),
    (RESERVE, C_MACRON, False),
    (TROOPS, "Macron said the forces would be far from the front line, in reserve positions in Kyiv or Odesa.", False),
    (COALITION, "The coalition includes France, Germany, Great Britain, Belgium, Canada and Turkey.", False),
    (MACRON, C_GERMANY, False),
    (MACRON, "Macron said Europe would provide troops in reserve positions in Kyiv.", False),
    # half from this passage, half from MACRON: scores exactly 0.5, which is why the bar is above 0.5
    (TROOPS, "Europe will provide military support under a peace agreement led by France and Great Britain.", False),
    # a wrong number sinks an otherwise perfect match
    (COALITION, "The 34-member coalition of the willing pledged to back up words with deeds.", False),
    (STARMER, "Starmer said 600,000 multinational forces would play a vital role.", False),
    (TROOPS, "", False),  # no content words
    (TROOPS, "[1]", False),
]


@pytest.mark.parametrize("passage, claim, supported", SUPPORT_TABLE)
def test_support_table(passage: str, claim: str, supported: bool) -> None:
    score, window = support(claim, passage)
    assert (score >= MIN_SUPPORT) is supported
    # the margin the default relies on: nothing in the table sits near the bar
    assert score >= 0.75 if supported else score <= 0.5
    lo, hi = window
    assert 0 <= lo < hi <= len(passage) and passage[lo:hi] == passage[lo:hi].strip()


def test_default_threshold_is_documented_value() -> None:
    assert MIN_SUPPORT == 0.6


@pytest.mark.parametrize("claim, passage", [
    ("Britain sent troops.", "Britain sent a troop."),
    ("Macron announced a group.", "Macron will announce a group."),
    ("France announces guarantees.", "France guaranteed it; France is announcing it."),
    ("The countries agreed.", "Each country agrees."),
    ("Ukraine's security.", "Security of Ukraine."),
    ("The 33 member coalition.", "The 33-member coalition."),
    ("About 600000 troops.", "Some 600,000 troops."),
    ("About 600,000 troops.", "Some 600000 troops."),
    ("Talks in 2025.", "Talks on 2025-11-26."),
    ("A 1.5 percent rise.", "A 1.5 percent rise."),
    ("A 1,5 percent rise.", "A 1,5 percent rise."),
])
def test_support_normalises_words_and_numbers(claim: str, passage: str) -> None:
    assert support(claim, passage)[0] == 1.0


@pytest.mark.parametrize("claim, passage", [
    ("The 34-member coalition met.", "The 33-member coalition met."),
    ("About 600,000 troops.", "About 60,000 troops."),
    ("Talks in 2024.", "Talks on 2025-11-26."),
    ("A 1.5 percent rise.", "A 15 percent rise."),
    ("A 1,5 percent rise.", "A 15 percent rise."),
    ("About 1,200 troops.", "About 1 200 troops and 1.200 tanks."),
])
def test_support_number_missing_scores_zero(claim: str, passage: str) -> None:
    score, window = support(claim, passage)
    assert score == 0.0 and window == (0, len(passage))


def test_support_prefers_single_sentence_on_ties_and_earliest() -> None:
    passage = "Analysts urged caution. Analysts urged caution again. Germany was cautious."
    assert support("Analysts urged caution.", passage) == (1.0, (0, 23))


def test_support_picks_best_sentence_not_first() -> None:
    score, (lo, hi) = support(C_GERMANY, "Analysts urged caution. " + GERMANY)
    assert score == 1.0 and (lo, hi) != (0, 23) and "Lithuania" in ("Analysts urged caution. " + GERMANY)[lo:hi]


def test_support_empty_passage() -> None:
    assert support(C_MACRON, "") == (0.0, None)
    assert support(C_MACRON, " \r\n ") == (0.0, None)


# --- check: renumbering, invalid markers, uncited sentences, support ---------------------------------------------

U = "uncited sentence: "
# (answer, expected text, expected (old passage, supported) per new number, expected warnings)
CHECK_TABLE = [
    pytest.param(f"{C_MACRON} [1]", f"{C_MACRON} [1]", [(1, True)], [], id="one-supported"),
    pytest.param(f"{C_GERMANY} [3]\n{C_MACRON} [1]", f"{C_GERMANY} [1]\n{C_MACRON} [2]", [(3, True), (1, True)], [],
                 id="renumber-by-first-appearance"),
    pytest.param(f"{C_COALITION}[4] {C_GERMANY}[3] {C_MACRON}[4]",
                 f"{C_COALITION}[1] {C_GERMANY}[2] {C_MACRON}[3?]", [(4, True), (3, True), (4, False)],
                 ['[3] does not support: "Macron announced a new joint working group led by France and Great '
                  'Britain." ([3] does not state it)'], id="same-passage-supported-and-not-get-two-numbers"),
    pytest.param(f"{C_MACRON} [1]\nMacron announced the joint working group. [1]",
                 f"{C_MACRON} [1]\nMacron announced the joint working group. [1]", [(1, True)], [],
                 id="same-passage-same-quote-shares-number"),
    pytest.param(f"{C_MACRON} [2, 1]", f"{C_MACRON} [1?][2]", [(2, False), (1, True)],
                 [f'[1] does not support: "{C_MACRON}" ([1] does not state it)'], id="list-normalised-in-written-order"),
    pytest.param(f"{C_MACRON} [1][1]", f"{C_MACRON} [1]", [(1, True)], [], id="duplicate-adjacent"),
    pytest.param(f"{C_MACRON} [1, 1]", f"{C_MACRON} [1]", [(1, True)], [], id="duplicate-in-list"),
    pytest.param(f"{C_MACRON} [1], [1]", f"{C_MACRON} [1]", [(1, True)], [], id="duplicate-comma"),
    pytest.param("Macron [1] announced a new joint working group led by France and Great Britain [1].",
                 "Macron [1] announced a new joint working group led by France and Great Britain.", [(1, True)], [],
                 id="duplicate-apart-in-one-sentence"),
    pytest.param(f"{C_MACRON} [[1]]", f"{C_MACRON} [1]", [(1, True)], [], id="doubled-brackets"),
    pytest.param(f"{C_MACRON} [1-2]", f"{C_MACRON} [1][2?]", [(1, True), (2, False)],
                 [f'[2] does not support: "{C_MACRON}" ([2] does not state it)'], id="range"),
    pytest.param(f"{C_MACRON} [7]", C_MACRON, [],
                 ["removed citation [7]: there are only 5 passages", f'{U}"{C_MACRON}"'], id="invalid-only"),
    pytest.param(f"{C_MACRON} [0]", C_MACRON, [],
                 ["removed citation [0]: passages are numbered 1 to 5", f'{U}"{C_MACRON}"'], id="zero"),
    pytest.param(f"{C_MACRON} [1, 7]", f"{C_MACRON} [1]", [(1, True)],
                 ["removed citation [7]: there are only 5 passages"], id="invalid-in-list"),
    pytest.param(f"{C_MACRON} [7][1]", f"{C_MACRON} [1]", [(1, True)],
                 ["removed citation [7]: there are only 5 passages"], id="invalid-adjacent"),
    pytest.param(f"{C_MACRON} [9]\n{C_GERMANY} [9]", f"{C_MACRON}\n{C_GERMANY}", [],
                 ["removed citation [9]: there are only 5 passages", f'{U}"{C_MACRON}"', f'{U}"{C_GERMANY}"'],
                 id="invalid-warned-once"),
    pytest.param(f"{C_MACRON} [1-100000]", f"{C_MACRON} [1][2?][3?][4?][5?]",
                 [(1, True), (2, False), (3, False), (4, False), (5, False)],
                 [f'[{n}] does not support: "{C_MACRON}" ([{n}] does not state it)' for n in range(2, 6)]
                 + [f"removed citation [{k}]: there are only 5 passages" for k in range(6, MAX_RANGE + 1)],
                 id="absurd-range"),
    pytest.param(f"{C_MACRON} [1]\nNevertheless, analysts urged caution.",
                 f"{C_MACRON} [1]\nNevertheless, analysts urged caution.", [(1, True)],
                 [f'{U}"Nevertheless, analysts urged caution."'], id="uncited"),
    pytest.param(f"{C_STARMER} {C_MACRON} [1]", f"{C_STARMER} {C_MACRON} [1]", [(1, True)],
                 [f'{U}"{C_STARMER[:77]}..."'], id="uncited-long-truncated"),
    pytest.param(f"{C_MACRON} [1]", f"{C_MACRON} [1]", [(1, True)], [], id="marker-after-period"),
    pytest.param(f"{C_MACRON}[1][3] {C_GERMANY}[3]", f"{C_MACRON}[1][2?] {C_GERMANY}[3]",
                 [(1, True), (3, False), (3, True)], [f'[2] does not support: "{C_MACRON}" ([2] does not state it)'],
                 id="glued-markers-belong-to-sentence-before"),
    pytest.param(f"{C_MACRON} [1] {C_GERMANY} [3]", f"{C_MACRON} [1] {C_GERMANY} [2]", [(1, True), (3, True)], [],
                 id="spaced-markers-between-sentences"),
    pytest.param(f"[1] {C_MACRON}\n[3] {C_GERMANY}", f"[1] {C_MACRON}\n[2] {C_GERMANY}", [(1, True), (3, True)], [],
                 id="marker-at-line-start-belongs-to-sentence-after"),
    pytest.param(f"{C_MACRON}\n[1]", f"{C_MACRON}\n[1]", [(1, True)], [], id="marker-alone-on-next-line"),
    pytest.param(f"{C_MACRON[:-1]} [1].", f"{C_MACRON[:-1]} [1].", [(1, True)], [], id="marker-before-period"),
    pytest.param(f"# Briefing: Ukraine\n\n**Key points**\n\nWhat happened:\n\n- {C_MACRON} [1]\n- {C_GERMANY} [3]\n",
                 f"# Briefing: Ukraine\n\n**Key points**\n\nWhat happened:\n\n- {C_MACRON} [1]\n- {C_GERMANY} [2]\n",
                 [(1, True), (3, True)], [], id="markdown-headings-lead-in-and-list"),
    pytest.param(f"1. {C_MACRON} [1]\n2. {C_COALITION} [4]", f"1. {C_MACRON} [1]\n2. {C_COALITION} [2]",
                 [(1, True), (4, True)], [], id="numbered-list-numbers-are-not-claims"),
    pytest.param(f"- {C_MACRON}\n- {C_GERMANY} [3]", f"- {C_MACRON}\n- {C_GERMANY} [1]", [(3, True)],
                 [f'{U}"{C_MACRON}"'], id="uncited-list-item"),
    pytest.param(f"{C_MACRON} [1]\r\n{C_GERMANY} [9]\r\n", f"{C_MACRON} [1]\r\n{C_GERMANY}\r\n", [(1, True)],
                 ["removed citation [9]: there are only 5 passages", f'{U}"{C_GERMANY}"'], id="crlf-answer"),
    pytest.param(f"{C_MACRON} [2?]", f"{C_MACRON} [1?]", [(2, False)], [f'[1] does not support: "{C_MACRON}" ([1] does not state it)'],
                 id="copied-unverified-form-is-rechecked"),
    pytest.param(f"{C_GERMANY} [3?]", f"{C_GERMANY} [1]", [(3, True)], [], id="copied-unverified-form-can-verify"),
    pytest.param("", "", [], [], id="empty"),
    pytest.param("[1]", "", [], ["removed citation [1]: it is not attached to any sentence"], id="marker-only"),
    pytest.param("Analysts urged caution [citation needed].", "Analysts urged caution [citation needed].", [],
                 [f'{U}"Analysts urged caution [citation needed]."'], id="not-a-marker-is-text"),
]


@pytest.mark.parametrize("answer, text, cited, warnings", CHECK_TABLE)
def test_check(answer: str, text: str, cited: list[tuple[int, bool]], warnings: list[str]) -> None:
    out = check(answer, HITS)
    assert out.text == text
    assert [(passage_of(c), c.supported) for c in out.citations] == cited
    assert [c.n for c in out.citations] == list(range(1, len(cited) + 1))
    assert sorted(out.warnings) == sorted(warnings)
    for c in out.citations:
        assert_exact(c)


@pytest.mark.parametrize("answer, text", [
    (f"{C_MACRON[:-1]} [7].", C_MACRON),
    (f"{C_MACRON[:-1]} [7], and more.", f"{C_MACRON[:-1]}, and more."),
    (f"{C_MACRON} [7] {C_GERMANY} [3]", f"{C_MACRON} {C_GERMANY} [1]"),
    (f"{C_MACRON}[7] {C_GERMANY}[3]", f"{C_MACRON} {C_GERMANY}[1]"),
    (f"[7] {C_MACRON}", C_MACRON),
    (f"  [7] {C_MACRON}", f"  {C_MACRON}"),
    (f"- [7] {C_MACRON}", f"- {C_MACRON}"),
    (f"{C_MACRON} [7]\n{C_GERMANY} [3]", f"{C_MACRON}\n{C_GERMANY} [1]"),
    (f"{C_MACRON} [7]  \n{C_GERMANY} [3]", f"{C_MACRON}\n{C_GERMANY} [1]"),
    ("Macron [7] announced a new joint working group.", "Macron announced a new joint working group."),
    ("Macron[7] announced a new joint working group.", "Macron announced a new joint working group."),
    (f"{C_MACRON} [7] [8]", C_MACRON),
    (f"{C_MACRON} [0, 9]", C_MACRON),
])
def test_check_removal_tidies_whitespace(answer: str, text: str) -> None:
    assert check(answer, HITS).text == text


def test_renumbered_citation_points_to_old_passage() -> None:
    out = check(f"{C_COALITION} [4]\n{C_MACRON} [1]\n{C_GERMANY} [3]\n{C_MACRON} [1]", HITS)
    assert out.text == f"{C_COALITION} [1]\n{C_MACRON} [2]\n{C_GERMANY} [3]\n{C_MACRON} [2]"
    assert [c.hit for c in out.citations] == [HITS[3], HITS[0], HITS[2]]
    assert "33-member" in out.citations[0].quote and "Lithuania" in out.citations[2].quote


def test_same_passage_different_quotes_get_their_own_numbers() -> None:
    # "Macron announced..." is the first sentence of MACRON; the "aims" claim needs both its sentences.
    out = check(f"{C_MACRON} [1]\n{C_AIMS} [1]", HITS)
    assert out.text == f"{C_MACRON} [1]\n{C_AIMS} [2]"
    first, second = out.citations
    assert first.hit is second.hit is HITS[0]
    assert first.quote == MACRON[: MACRON.index(" It aims")]
    assert second.quote == MACRON
    assert first.supported and second.supported and out.warnings == ()


def test_unsupported_claim_from_other_passage() -> None:
    out = check(f"{C_STARMER} [1]", HITS)
    assert out.text == f"{C_STARMER} [1?]"
    (c,) = out.citations
    assert not c.supported and c.hit is HITS[0]
    assert_exact(c)  # the best window is still quoted, so the reader sees what passage 1 says
    assert out.warnings == (f'[1] does not support: "{C_STARMER[:77]}..." ([1] does not state it)',)


def test_unsupported_wrong_number() -> None:
    claim = "The 34-member coalition of the willing pledged to back up words with deeds."
    out = check(f"{claim} [4]\n{C_COALITION} [4]", HITS)
    assert out.text == f"{claim} [1?]\n{C_COALITION} [2]"
    assert [c.supported for c in out.citations] == [False, True]
    assert out.citations[0].quote == out.citations[1].quote == COALITION
    assert out.warnings == (f'[1] does not support: "{claim}" (\'34\' vs \'33\' in [1])',)


def test_min_support_is_a_parameter() -> None:
    claim = "Germany has been more cautious about troops, citing its German brigade stationed in Lithuania."  # 0.62
    assert check(f"{claim} [3]", HITS).text == f"{claim} [1]"
    out = check(f"{claim} [3]", HITS, min_support=0.7)
    assert out.text == f"{claim} [1?]"
    assert out.warnings[0].endswith("(only 62% of its words are in [1])")


def test_no_passages() -> None:
    out = check(f"{C_MACRON} [1]", [])
    assert out.text == C_MACRON and out.citations == ()
    assert out.warnings == ("removed citation [1]: there are no passages", f'{U}"{C_MACRON}"')


def test_one_passage_grammar() -> None:
    assert "removed citation [2]: there is only 1 passage" in check(f"{C_MACRON} [2]", HITS[:1]).warnings


def test_every_output_marker_resolves() -> None:
    answer = f"# Brief\n{C_MACRON} [2][1]\n{C_STARMER} [2, 9]\n{C_GERMANY} [3-4]\n{C_AIMS}[1]"
    out = check(answer, HITS)
    found = re.findall(r"\[(\d+)(\??)\]", out.text)
    assert sorted({int(n) for n, _ in found}) == [c.n for c in out.citations]
    for n, mark in found:
        assert out.citations[int(n) - 1].supported is (mark == "")


# --- quote exactness: CRLF, unicode, chunks mid-document, json(l) -----------------------------------------------

CRLF_TEXT = (
    "---\r\ntitle: Coalition of the willing\r\n---\r\n"
    "Kyiv – European leaders met on Tuesday.\r\n\r\n"
    "One Elysée Palace official argued that the new working group would provide “new coherence” to transatlantic "
    "talks on security guarantees. A second British official said British military planners were “very advanced.”"
    "\r\n\r\n"
    "Macron, emphasizing that these forces would be “far from the front line,” spoke of a presence “in reserve "
    "positions in Kyiv or Odesa.”\r\n\r\n"
    "Überraschend: the 33-member coalition — ça va — met again.\r\n"
)
CRLF_DOC = make_doc(CRLF_TEXT, path="news/élysée.md", title="Coalition of the willing", source=None)
CRLF_PASSAGE = CRLF_TEXT[CRLF_TEXT.index("One Elysée"):CRLF_TEXT.index("Überraschend")].rstrip()
CRLF_HIT = make_hit(CRLF_DOC, CRLF_PASSAGE)


@pytest.mark.parametrize("claim, quote_starts, lines", [
    ("An Elysée official said the working group would bring “new coherence” to talks on security guarantees.",
     "One Elysée", (6, 6)),
    ("A British official said military planners were very advanced.", "A second British", (6, 6)),
    ("Macron said the forces would be in reserve positions in Kyiv or Odesa, far from the front line.",
     "Macron, emphasizing", (8, 8)),
    # needs the last sentence of one paragraph and the next paragraph: a two-sentence window over a CRLF break
    ("British military planners were very advanced and Macron spoke of reserve positions in Odesa.",
     "A second British", (6, 8)),
])
def test_quote_exact_in_crlf_unicode_document(claim: str, quote_starts: str, lines: tuple[int, int]) -> None:
    assert CRLF_HIT.chunk.span.char_start > 0 and CRLF_HIT.chunk.span.line_start == 6  # chunk starts mid-document
    out = check(f"{claim} [1]", [CRLF_HIT])
    (c,) = out.citations
    assert c.supported and out.warnings == ()
    assert_exact(c)
    assert c.quote.startswith(quote_starts)
    assert (c.quote_span.line_start, c.quote_span.line_end) == lines
    assert c.quote_span == make_span(CRLF_DOC, c.quote_span.char_start, c.quote_span.char_end)
    # and it is in the file as written: the same characters, CRLF included, on those 1-based lines
    file_lines = CRLF_TEXT.split("\r\n")
    assert c.quote.split("\r\n")[0] in file_lines[lines[0] - 1]


def test_quote_span_is_chunk_offset_plus_window() -> None:
    score, (lo, hi) = support(C_GERMANY, GERMANY)
    out = check(f"{C_GERMANY} [1]", [HITS[2]])
    (c,) = out.citations
    base = HITS[2].chunk.span.char_start
    assert c.quote_span == make_span(DOC, base + lo, base + hi)
    assert c.quote == DOC.text[c.quote_span.char_start:c.quote_span.char_end] == GERMANY[lo:hi]


def test_jsonl_document_reports_its_line() -> None:
    text = "Nevertheless, analysts urged caution.\n" + GERMANY
    doc = make_doc(text, path="feeds/news.jsonl", line=7)
    out = check(f"{C_GERMANY} [1]", [make_hit(doc, GERMANY)])
    (c,) = out.citations
    assert c.quote == doc.text[c.quote_span.char_start:c.quote_span.char_end]
    assert (c.quote_span.line_start, c.quote_span.line_end) == (7, 7)


def test_chunk_that_disagrees_with_its_document_is_never_verified() -> None:
    # A chunk whose offsets are off by a few characters: its words support the claim, but the document does not
    # hold those words at those offsets, so the citation must not be presented as sourced.
    start = DOC.text.index(GERMANY) + 5
    bad = Hit(chunk=Chunk(doc_id=DOC.id, ord=9, text=GERMANY, span=make_span(DOC, start, start + len(GERMANY))),
              doc=DOC, score=1.0)
    out = check(f"{C_GERMANY} [1]", [bad])
    assert out.text == f"{C_GERMANY} [1?]"
    (c,) = out.citations
    assert not c.supported and c.quote == DOC.text[c.quote_span.char_start:c.quote_span.char_end]
    assert out.warnings == ("[1] passage text does not match news/003.txt at its offsets; citation not verified",)


# --- format_sources --------------------------------------------------------------------------------------------

def citation(doc: Document, quote: str, n: int = 1, supported: bool = True) -> Citation:
    start = doc.text.index(quote)
    hit = make_hit(doc, quote)
    span = make_span(doc, start, start + len(quote))
    return Citation(n=n, hit=hit, quote=quote, quote_span=span, supported=supported)


LINES_DOC = make_doc("Title line\n\nFirst para.\nSecond line of it.\nThird.\n")
Q = "Second line of it."


@pytest.mark.parametrize("cite, line", [
    (citation(LINES_DOC, Q),
     f'[1] news/003.txt:L4 — Europe defines its plans for Ukraine (UNN, 2025-11-26) — "{Q}"'),
    (citation(LINES_DOC, "First para.\nSecond line of it.\nThird.", n=2),
     '[2] news/003.txt:L3-L5 — Europe defines its plans for Ukraine (UNN, 2025-11-26) — '
     '"First para. Second line of it. Third."'),
    (citation(make_doc(LINES_DOC.text, source=None), Q),
     f'[1] news/003.txt:L4 — Europe defines its plans for Ukraine (2025-11-26) — "{Q}"'),
    (citation(make_doc(LINES_DOC.text, published=None), Q),
     f'[1] news/003.txt:L4 — Europe defines its plans for Ukraine (UNN) — "{Q}"'),
    (citation(make_doc(LINES_DOC.text, source=None, published=None), Q),
     f'[1] news/003.txt:L4 — Europe defines its plans for Ukraine — "{Q}"'),
    (citation(make_doc(LINES_DOC.text, title="", source=None, published=None), Q), f'[1] news/003.txt:L4 — "{Q}"'),
    (citation(make_doc(LINES_DOC.text, title=""), Q), f'[1] news/003.txt:L4 — (UNN, 2025-11-26) — "{Q}"'),
    (citation(LINES_DOC, Q, n=3, supported=False),
     f'[3] news/003.txt:L4 — Europe defines its plans for Ukraine (UNN, 2025-11-26) — "{Q}" (unverified)'),
    (citation(CRLF_DOC, "Kyiv – European leaders met on Tuesday."),
     '[1] news/élysée.md:L4 — Coalition of the willing (2025-11-26) — '
     '"Kyiv – European leaders met on Tuesday."'),
])
def test_format_sources_line(cite: Citation, line: str) -> None:
    assert format_sources([cite]) == line


def test_format_sources_shortens_long_quotes_for_display_only() -> None:
    long_doc = make_doc(" ".join([TROOPS] * 3))
    quote = long_doc.text
    c = citation(long_doc, quote)
    line = format_sources([c])
    shown = line.split(' — "', 1)[1].rsplit('"', 1)[0]
    assert shown.endswith("…") and len(shown) <= 301 and quote.startswith(shown[:-1])
    assert c.quote == quote  # the citation itself stays exact


def test_format_sources_many_and_none() -> None:
    out = check(f"{C_GERMANY} [3]\n{C_STARMER} [1]", HITS)
    lines = format_sources(out.citations).split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("[1] news/003.txt:L13 — ") and not lines[0].endswith("(unverified)")
    assert lines[1].startswith("[2] news/003.txt:L7 — ") and lines[1].endswith("(unverified)")
    assert format_sources([]) == ""


# --- property: whatever the model writes, every output marker resolves and every quote is exact -----------------

def test_random_answers_always_resolve() -> None:
    pieces = [C_MACRON, C_GERMANY, C_STARMER, C_AIMS, "[1]", "[2]", "[3, 4]", "[7]", "[0]", "[1-3]", "[[2]]", "[2?]",
              " ", "\n", "\r\n", "- ", "# ", ".", ",", "[", "]", "**Key points**", ":", "1. ", "[citation needed]"]
    rng = random.Random(7)
    for _ in range(2000):
        answer = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        hits = HITS if rng.random() < 0.7 else [HITS[0], CRLF_HIT]
        out = check(answer, hits)
        markers = parse_markers(out.text)
        assert {n for m in markers for n in m.numbers} == set(range(1, len(out.citations) + 1)), answer
        for m in markers:
            unverified = "?" in out.text[m.start:m.end]
            assert all(out.citations[n - 1].supported is not unverified for n in m.numbers), answer
        for c in out.citations:
            assert c.quote == c.hit.doc.text[c.quote_span.char_start:c.quote_span.char_end]
        assert len(format_sources(out.citations).splitlines()) == len(out.citations)
