"""Claim-level support (briefing.answer.claims, briefing.answer.numbers): the table of real sentences in
tests/data/claims.jsonl, quantities, the reasons ``check`` gives, verbatim sentences, and the memo's register."""

from __future__ import annotations

import json
from datetime import date
from collections import Counter
from pathlib import Path

import pytest

from briefing.answer.cite import check
from briefing.answer.claims import judge
from briefing.answer.numbers import matches, quantities, unmatched
from briefing.memo.register import Register
from briefing.text import make_span, sentences, stems
from briefing.types import Chunk, Document, Hit

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
TABLE = [json.loads(line) for line in (ROOT / "tests" / "data" / "claims.jsonl").read_text("utf-8").splitlines()]
SEED = ROOT / "examples" / "articles" / "003_f5fb50542c4e2589.txt"


# --- the table ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", TABLE, ids=[r["id"] for r in TABLE])
def test_claims_table(row: dict) -> None:
    verdict = judge(row["sentence"], [p["text"] for p in row["passages"]],
                    published=[date.fromisoformat(p["published"]) if p.get("published") else None
                               for p in row["passages"]])
    expected = row["expected"] == "supported"
    if row.get("known_miss"):
        # a documented miss of the rules: when a rule starts getting it right, this row must be updated
        assert verdict.supported is not expected, "known miss now passes: drop known_miss from the row"
        return
    assert verdict.supported is expected, verdict.reasons
    if not expected and row.get("reason_contains"):
        assert any(row["reason_contains"] in r for r in verdict.reasons), verdict.reasons


@pytest.mark.parametrize("claim, passage", [
    ("Three Delawareans were among the recipients.", "The recipients include three people from Delaware."),
    ("The NHTSA opened the probe.", "The National Highway Traffic Safety Administration opened the probe."),
    ("Robert F. Kennedy Jr. was confirmed.", "Kennedy was confirmed."),
    ("Sean Combs' trial starts on May 5.", "The trial of Sean Combs starts on May 5."),
])
def test_names_by_demonym_initials_surname_and_possessive(claim: str, passage: str) -> None:
    assert judge(claim, [passage]).supported, judge(claim, [passage]).reasons
    assert not judge(claim.replace("Delawareans", "Texans").replace("NHTSA", "FAA").replace("Kennedy", "Biden")
                     .replace("Combs", "Diddy"), [passage]).supported


def test_the_article_date_states_the_month_and_year_its_text_leaves_out() -> None:
    claim = "The regulator opened the probe in January 2025."
    passage = "The regulator opened the probe on Tuesday."
    assert not judge(claim, [passage]).supported
    assert judge(claim, [passage], published=[date(2025, 1, 8)]).supported
    assert not judge(claim, [passage], published=[date(2024, 12, 3)]).supported
    # never the day: the inauguration was not on the day the article came out
    day = "Flags will fly at full staff for the inauguration on January 14, 2025."
    assert not judge(day, ["Flags will fly at full staff for the inauguration next week."],
                     published=[date(2025, 1, 14)]).supported


def test_table_covers_every_class_from_real_text() -> None:
    assert len(TABLE) >= 60
    by_class = Counter((r["class"], r["expected"]) for r in TABLE)
    for cls in ("entity", "actor", "number", "polarity", "added", "modifier"):
        assert by_class[cls, "unsupported"] >= 3, cls
    for cls in ("paraphrase", "multi", "spread"):
        assert by_class[cls, "supported"] >= 3, cls
    assert by_class["multi", "unsupported"] >= 2 and by_class["spread", "unsupported"] >= 2
    assert all(len(r["passages"]) >= 2 for r in TABLE if r["class"] == "multi")
    assert sum(bool(r.get("known_miss")) for r in TABLE) <= 6  # each one is in the README


@pytest.mark.parametrize("source", sorted({p["source"] for r in TABLE for p in r["passages"]}))
def test_table_passages_are_verbatim_article_text(source: str) -> None:
    passages = [p for r in TABLE for p in r["passages"] if p["source"] == source]
    if source.startswith("examples/"):
        text = (ROOT / source).read_text("utf-8")
    else:
        path = SHARED / "corpus" / source
        if not path.exists():
            pytest.skip(f"{path} is not here")
        text = "\n".join(e.get("text") or "" for line in path.read_text("utf-8").splitlines()
                         for e in json.loads(line).get("search_result", []))
    for p in passages:
        assert p["text"] in text


# --- quantities ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value, kind", [
    ("forty-seven members", 47, "count"),
    ("three hundred and twenty troops", 320, "count"),
    ("a dozen countries", 12, "count"),
    ("two dozen", 24, "count"),
    ("the 33-member coalition", 33, "count"),
    ("600,000 troops", 600_000, "count"),
    ("half of them", 0.5, "ratio"),
    ("50% of them", 0.5, "ratio"),
    ("12 per cent", 0.12, "ratio"),
    ("two-thirds", 2 / 3, "ratio"),
    ("the third time", 3, "ordinal"),
    ("the 3rd time", 3, "ordinal"),
    ("one million people", 1_000_000, "count"),
    ("November 26", 1126, "date"),
    ("26 Nov.", 1126, "date"),
    ("2025-11-26", 1126, "date"),
])
def test_quantities(text: str, value: float, kind: str) -> None:
    (q,) = quantities(text)
    assert q.value == pytest.approx(value) and q.kind == kind


@pytest.mark.parametrize("a, b", [
    ("€210 billion", "210 billion euros"), ("€210bn", "EUR 210 billion"), ("$1.5m", "1.5 million dollars"),
    ("half", "50 percent"), ("forty-seven", "47"), ("a dozen", "12"), ("33", "thirty-three"),
    ("November 26", "26 November"), ("the third", "3rd"),
])
def test_same_quantity_written_two_ways(a: str, b: str) -> None:
    assert not unmatched(a, b) and not unmatched(b, a)


@pytest.mark.parametrize("a, b", [
    ("€210 billion", "$210 billion"), ("€210 billion", "€210 million"), ("forty-seven", "33"), ("half", "a third"),
    ("November 26", "November 25"), ("1.5 percent", "15 percent"), ("1,200", "1.200"),
])
def test_different_quantities(a: str, b: str) -> None:
    assert unmatched(a, b)


def test_one_is_not_a_count_but_one_million_is() -> None:
    assert quantities("one British official said") == []
    assert matches(quantities("one million")[0], quantities("1,000,000")[0])


# --- check(): the reasons a user sees, on the seed article --------------------------------------------------------

def _seed_hits() -> list[Hit]:
    text = SEED.read_text("utf-8")
    doc = Document(id="seed", path=str(SEED), title="Europe defines its plans", text=text, published=None)
    hits = []
    for i, para in enumerate(p for p in text.split("\n\n") if len(p) > 200):
        start = text.index(para)
        span = make_span(doc, start, start + len(para))
        hits.append(Hit(chunk=Chunk(doc_id=doc.id, ord=i, text=para, span=span), doc=doc, score=1.0))
    return hits


HITS = _seed_hits()


def _n(prefix: str) -> int:
    return next(i for i, h in enumerate(HITS, 1) if h.chunk.text.startswith(prefix))


@pytest.mark.parametrize("sentence, passage, why", [
    ("Macron did not announce any new working group.", "On Tuesday evening", "negated"),
    ("Friedrich Merz announced the creation of a new joint working group led by France and Great Britain.",
     "On Tuesday evening", "'Merz' is not in [1]"),
    ("The coalition of the willing has forty-seven members.", "The meeting was", "'forty-seven' vs '33' in [1]"),
    ("Starmer said multinational forces would play no role in guaranteeing the country's security.",
     "British Prime", "negated: 'no role'"),
    ("Macron announced the creation of a new joint working group led by France and Great Britain, which Russia has "
     "agreed to join.", "On Tuesday evening", "'which Russia has agreed to join' is not in [1]"),
    ("Starmer said Russian forces would play a vital role in guaranteeing the country's security.", "British Prime",
     "'Russian forces' vs 'multinational forces' in [1]"),
])
def test_each_wrong_sentence_is_flagged_with_its_reason(sentence: str, passage: str, why: str) -> None:
    out = check(f"{sentence} [{_n(passage)}]", HITS)
    assert out.text.endswith("[1?]") and not out.citations[0].supported
    (warning,) = out.warnings
    assert warning.startswith("[1] does not support:") and why in warning


def test_true_paraphrase_stays_supported_and_quotes_the_file() -> None:
    sentence = "Macron announced a new joint working group led by France and Britain, with the US and Turkey taking part."
    out = check(f"{sentence} [{_n('On Tuesday evening')}]", HITS)
    assert out.text == f"{sentence} [1]" and out.warnings == ()
    (c,) = out.citations
    assert c.supported and c.quote.startswith("On Tuesday evening, French President Emmanuel Macron announced")
    assert c.quote in SEED.read_text("utf-8")


def test_a_sentence_is_judged_against_the_union_of_its_citations() -> None:
    sentence = "The 33-member coalition of the willing includes France, Germany, Great Britain, Belgium and Canada."
    a, b = _n("The meeting was"), _n("The coalition, a loose")
    out = check(f"{sentence} [{a}][{b}]", HITS)
    assert out.text == f"{sentence} [1][2]" and all(c.supported for c in out.citations)
    # each passage alone lacks half of it
    assert check(f"{sentence} [{a}]", HITS).text.endswith("[1?]")
    assert check(f"{sentence} [{b}]", HITS).text.endswith("[1?]")
    # a false part fails the whole sentence, and the warning names it
    wrong = sentence.replace("Canada", "Poland")
    out = check(f"{wrong} [{a}][{b}]", HITS)
    assert out.text == f"{wrong} [1?][2?]"
    assert any("'Poland' is not in [1][2]" in w for w in out.warnings)


def test_a_citation_that_adds_nothing_is_flagged_even_when_the_sentence_holds() -> None:
    sentence = "Macron announced a new joint working group led by France and Great Britain."
    out = check(f"{sentence} [{_n('On Tuesday evening')}][{_n('Its members')}]", HITS)
    assert out.text == f"{sentence} [1][2?]"
    assert out.warnings == (f'[2] does not support: "{sentence}" ([2] does not state it)',)


def test_verbatim_sentences_of_the_example_articles_are_all_supported() -> None:
    """What the extractive generator does: quote a passage's own sentence. It must always verify."""
    checked = 0
    for path in sorted((ROOT / "examples" / "articles").glob("*.txt")):
        for para in path.read_text("utf-8").splitlines():
            for lo, hi in sentences(para):
                sentence = para[lo:hi]
                if len(stems(sentence)) >= 3:
                    checked += 1
                    assert judge(sentence, [para]).supported, (path.name, sentence)
    assert checked > 100


# --- the memo: its register goes through the same check -----------------------------------------------------------

def test_memo_register_flags_wrong_sentences_with_reasons() -> None:
    register = Register()
    hit = HITS[_n("On Tuesday evening") - 1]
    text = ("Macron announced a new joint working group led by France and Britain [1]. "
            "Friedrich Merz announced a new joint working group led by France and Britain [1]. "
            "Macron did not announce a new working group [1].")
    body, cited = register.verify(text, [hit], "Summary")
    assert body.count("[1]") == 1 and body.count("[2?]") == 2
    assert [c.supported for c in register.citations] == [True, False]
    assert any(w.startswith("Summary: [2] does not support") and "'Merz' is not in [2]" in w
               for w in register.warnings)
    assert any(w.startswith("Summary: [2] does not support") and "negated" in w for w in register.warnings)
    quote, cited = register.verify_quote("Macron did not announce a new working group.", hit, "Timeline")
    assert cited == (2,)  # the register's unverified number: the quote is not presented as sourced
    assert not register.citations[1].supported
