"""What an extractive answer picks: the kind of answer each part of the question asks for, self-contained
sentences, never a heading, question, caption or promo line, both sides of a disputed figure, and abstention when
the question's subject is nowhere in the sources. Sentences are real ones, from examples/articles and the
RealTimeQA dumps."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from briefing.answer import readable
from briefing.answer.evidence import asks_whats_new, assess, key_names, unmentioned
from briefing.answer.extractive import DIFFER, extract
from briefing.answer.question import AMOUNT, COUNT, WHAT, WHEN, WHERE, WHO, WHY, kind_of, mentions, parts, subjects
from briefing.text import make_span
from briefing.types import Chunk, Document, Hit

ARTICLES = Path(__file__).resolve().parents[1] / "examples" / "articles"

MACRON = ("On Tuesday evening, French President Emmanuel Macron announced the creation of a new joint working group - "
          "led by France and Great Britain with the participation of the US and Turkey. It aims to clarify the exact "
          "details of the military support that Europe will provide under a peace agreement, the publication writes.")
SOFTBANK = ("In many ways, Trump's news conference brought back memories from his first term, when the former "
            "Republican president frequently entered the White House briefing room to jostle with reporters and "
            "with his responses control the daily headlines.\n\nBut Monday's atmosphere appeared more cordial. He "
            "stood at a lectern alongside SoftBank Group CEO Masayoshi Son and Howard Lutnick, his pick for commerce "
            "secretary and also the co-lead of his transition team.")
INVESTMENT = ("Trump had organized Monday's event at Mar-a-Lago to tout a $100 billion investment he negotiated with "
              "a major Japanese tech firm.")
SUPER_BOWL = ("Here's everything you need to know about when Super Bowl LIX game is, where it is and who will be "
              "there.\n\nWhen is Super Bowl 2025?\n\nSuper Bowl LIX is set for Sunday, Feb. 9, 2025, with a 6:30 p.m. "
              "kickoff time. The game will be broadcast live on Fox and stream on Tubi.\n\nWhere is Super Bowl 2025?"
              "\n\nThe 2025 Super Bowl will be played at the Caesars Superdome in New Orleans, home of the Saints.")
TEAMS = ("The Philadelphia Eagles and the Kansas City Chiefs won their conference championship games on Sunday and "
         "will square off in Super Bowl LIX in New Orleans for a rematch.")


def hit(text: str, title: str = "An article", rank: int = 0, dense: float = 0.5, path: str | None = None,
        published: date | None = date(2025, 1, 20), kind: str = "txt", url: str | None = None) -> Hit:
    doc = Document(hashlib.sha256(text.encode()).hexdigest(), path or f"news/{rank}.txt", title, text,
                   published=published, kind=kind, url=url)
    return Hit(Chunk(doc.id, 0, text, make_span(doc, 0, len(text))), doc, 1.0 / (1 + rank), dense=dense)


def bullets(answer: str) -> list[str]:
    return [line for line in answer.splitlines() if line.startswith("- ")]


# --- what the question asks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("question, kinds", [
    ("Who suspended the 30-day mourning period for Jimmy Carter?", [WHO]),
    ("How many Tesla vehicles are covered by the federal safety probe?", [COUNT]),
    ("How much frozen Russian money is held in Europe?", [AMOUNT]),
    ("When is Sean 'Diddy' Combs' federal sex crimes trial scheduled to start?", [WHEN]),
    ("Where did the lifeguard tower that washed ashore in Delaware originate from?", [WHERE]),
    ("Why had Belgium expressed reservations about the EU's proposed loan mechanism?", [WHY]),
    ("What did Macron announce?", [WHAT]),
    # the earliest cue decides: "when" in the middle of a "which three" question is not what it asks
    ("Which three Delawareans were among the recipients when President Biden named 20 honorees?", [WHO]),
    ("Which teams will play in Super Bowl LIX, and when and where will the game be held?", [WHO, WHEN, WHERE]),
    ("What investment did Trump tout, and which company's CEO stood beside him?", [WHAT, WHO]),
])
def test_question_kinds_and_parts(question, kinds):
    assert [p.kind for p in parts(question)] == kinds
    assert kind_of("What was the magnitude of the earthquake?") == AMOUNT
    assert readable.holds(WHO, "Louis Redding won.", "Which 0 players won?") == 1  # no division by zero


def test_subjects_leave_out_demonyms_titles_and_question_words():
    assert [s.phrase for s in subjects("What did Polish Prime Minister Donald Tusk say about Poland's role?")] == [
        "Donald Tusk", "Poland"]
    assert subjects("Which American chain announced it will eliminate 30% of its menu?") == []
    assert [s.phrase for s in subjects("According to Rep. Don Bacon (R-Neb.), what must accompany it?")] == [
        "Don Bacon"]
    assert [s.phrase for s in subjects("Who won the men's singles title at the 2025 Australian Open?")] == [
        "Australian Open"]
    assert [s.phrase for s in subjects("What did the Pope say about the peace talks?")] == ["Pope"]
    assert "American" not in key_names("Which American chain announced it will eliminate 30% of its menu?")


@pytest.mark.parametrize("text, phrase, found", [
    ("Ed Arnold of the Royal United Services think tank in London warned", "Royal United Services Institute", True),
    ("Prime Minister Tusk said Poland was ready.", "Donald Tusk", True),
    ("Three of her 23 Grand Slam titles came at the French Open.", "Australian Open", False),
    ("the Big Ten race wide open in coach Gary Moeller's first year", "Australian Open", False),
    ("In south Georgia, the Wilcox County Sheriff's Office said lightning struck a rural home", "Dingri County",
     False),
    ("the Department of Health and Human Services", "HHS", True),
    ("Ukrainian officials said", "Ukraine", True),
    ("Robert F. Kennedy Jr. appeared before the Senate", "Robert F Kennedy Jr", True),
])
def test_a_subject_is_mentioned_by_its_name_not_by_a_generic_word(text, phrase, found):
    subject = next(s for s in subjects(f"What did {phrase} say about it?") if s.phrase == phrase)
    assert mentions(text, subject) is found


# --- which sentences can be answers ----------------------------------------------------------------------------


def test_headings_questions_captions_and_promo_lines_are_never_answers():
    for line in ["When is Super Bowl 2025?", "Need a break? Play the USA TODAY Daily Crossword Puzzle.",
                 "Here's everything you need to know about when Super Bowl LIX game is, where it is and who will be "
                 "there.", "Opening Remarks: Condolences for seven killed in Russian moves on Kyiv on November 24, 2025.",
                 "President-elect Donald Trump speaks at Mar-a-Lago. (Photo by Joe Raedle/Getty Images)"]:
        assert readable.never_an_answer(line), line
    assert not readable.never_an_answer(INVESTMENT)
    assert not readable.never_an_answer("Macron added: \"We must not sow panic among the French.\"")


def test_datelines_and_header_labels_are_left_out_of_the_quote():
    text = "WASHINGTON – President-elect Donald Trump’s first press conference since winning re-election mattered."
    assert text[readable.lead_in(text):].startswith("President-elect")
    first = (ARTICLES / "003_f5fb50542c4e2589.txt").read_text(encoding="utf-8").strip().splitlines()[0]
    assert first[readable.lead_in(first):].startswith("European leaders are trying")


@pytest.mark.parametrize("sentence, leans", [
    ("It aims to clarify the exact details of the military support that Europe will provide.", True),
    ("This decision was welcomed in Kyiv.", True),
    ("Johnson announced the move on Tuesday.", True),
    ("He stood at a lectern alongside SoftBank Group CEO Masayoshi Son.", True),
    ("It is unclear whether the talks will resume.", False),
    (INVESTMENT, False),
])
def test_a_sentence_that_leans_on_the_one_before(sentence, leans):
    assert readable.leans_on_previous(sentence) is leans


def test_kinds_of_answer_a_sentence_holds():
    assert readable.holds(WHEN, "Super Bowl LIX is set for Sunday, Feb. 9, 2025, with a 6:30 p.m. kickoff time.") == 1
    assert readable.holds(WHEN, TEAMS) == 0.5  # a weekday is a weaker date than a calendar one
    assert readable.holds(AMOUNT, INVESTMENT) == 1
    assert readable.holds(COUNT, "How many people?", "How many people?") == 0
    assert readable.holds(WHY, "Belgium had expressed reservations, citing fears of Russian retaliation.") == 1
    q = "Which three Delawareans were among the recipients?"
    two = "The medal was awarded posthumously to civil rights advocate Louis L. Redding and Judge Collins J. Seitz Sr."
    assert readable.holds(WHO, two, q) == pytest.approx(2 / 3)


# --- the extractive answer --------------------------------------------------------------------------------------


def test_a_sentence_leaning_on_the_previous_one_brings_it_along():
    answer = extract("What is the new working group meant to clarify?", [hit(MACRON)])
    lines = bullets(answer)
    assert lines[0].startswith("- On Tuesday evening, French President Emmanuel Macron announced")
    assert lines[1].startswith("- It aims to clarify")


def test_every_part_of_a_two_part_question_gets_its_sentence():
    q = ("What investment did President-elect Trump tout at his first post-election news conference at Mar-a-Lago, "
         "and which company's CEO stood beside him?")
    answer = extract(q, [hit(INVESTMENT, "Trump news conference takeaways"),
                         hit(SOFTBANK, "Trump news conference takeaways", 1)])
    assert "$100 billion" in answer and "SoftBank" in answer
    # "He stood..." comes with the sentences that say who "he" is
    lines = bullets(answer)
    he = next(i for i, line in enumerate(lines) if line.startswith("- He stood"))
    assert lines[he - 1].startswith("- But Monday's atmosphere") and lines[he - 2].startswith("- In many ways")


def test_when_and_where_parts_get_a_date_and_a_place_never_a_sub_heading():
    answer = extract("Which teams will play in Super Bowl LIX, and when and where will the game be held?",
                     [hit(TEAMS, "Super Bowl LIX"), hit(SUPER_BOWL, "When is Super Bowl 2025?", 1)])
    assert "Eagles" in answer and "Feb. 9" in answer and "Caesars Superdome" in answer
    assert "?" not in answer and "Here's everything" not in answer


def test_sources_that_disagree_on_the_figure_are_both_given():
    first = hit("The coalition of the willing, a group of 33 countries, met by video call on Tuesday.",
                "Coalition meets", 0)
    second = hit("The coalition of the willing, a group of 34 countries, met by video call on Tuesday.",
                 "Leaders meet online", 1, path="news/other.txt")
    answer = extract("How many countries are in the coalition of the willing?", [first, second])
    lines = answer.splitlines()
    assert lines[0] == f"- {DIFFER}"
    assert "33 countries" in lines[1] and lines[1].endswith("[1]")
    assert "34 countries" in lines[2] and lines[2].endswith("[2]")
    # the same figure in two sources is no disagreement
    same = hit("Leaders of the 33 countries of the coalition of the willing met online.", "Another outlet", 1,
               path="news/third.txt")
    assert DIFFER not in extract("How many countries are in the coalition of the willing?", [first, same])


def test_whats_new_questions_are_recognised():
    assert asks_whats_new("What's new?") and asks_whats_new("What are the latest developments on the coalition?")
    assert not asks_whats_new("What new sanctions did the EU announce?")
    # with no word to match, the answer is each newest passage's lead sentence
    answer = extract("What's new?", [hit(INVESTMENT), hit(TEAMS, rank=1)])
    assert bullets(answer) == [f"- {INVESTMENT} [1]", f"- {TEAMS} [2]"]


# --- abstaining -------------------------------------------------------------------------------------------------


def test_a_subject_in_no_passage_means_no_answer_even_when_similar():
    seeds = [hit((ARTICLES / name).read_text(encoding="utf-8"), rank=i, dense=0.7)
             for i, name in enumerate(sorted(p.name for p in ARTICLES.glob("*.txt")))]
    verdict = assess("What did Polish Prime Minister Donald Tusk say about Poland's role in the coalition?", seeds)
    assert not verdict.sufficient and verdict.reason == "no retrieved passage mentions Donald Tusk, Poland"
    assert assess("What did French President Emmanuel Macron announce?", seeds).sufficient


def test_an_answer_that_never_names_the_subject_is_refused():
    from briefing.answer.cite import check

    h = hit(TEAMS, "Super Bowl LIX preview")
    checked = check(f"- {TEAMS} [1]", [h])
    assert unmentioned("Which teams will play in Super Bowl LIX?", checked.text, checked.citations) == ()
    assert unmentioned("Who won the 2025 Australian Open?", checked.text, checked.citations) == ("Australian Open",)


# --- citations a reader can follow ------------------------------------------------------------------------------


def test_sources_name_a_dump_article_by_title_outlet_date_and_url_and_mark_undated_ones():
    from dataclasses import replace

    from briefing.answer.cite import check
    from briefing.answer.render import answer_markdown, source_line
    from briefing.types import Answer

    url = "https://www.usatoday.com/story/news/politics/elections/2024/12/16/trump-news-conference-takeaways/77031064007/"
    dump = hit(INVESTMENT, "Trump news conference takeaways", path="corpus/20250117_gcs.jsonl", kind="jsonl",
               published=date(2024, 12, 16),
               url=url)
    dump = replace(dump, doc=replace(dump.doc, source="usatoday.com", line=12))
    plain = hit(MACRON, "European leaders define their plans", path="articles/001.txt", published=None)
    checked = check(f"- {INVESTMENT} [1]\n- {MACRON.split('. ')[0]}. [2]", [dump, plain])
    first, second = (source_line(c) for c in checked.citations)
    assert first.startswith(f"[1] Trump news conference takeaways (usatoday.com, 2024-12-16) — {url} — \"Trump had")
    assert ".jsonl" not in first and ":L12" not in first
    assert second.startswith("[2] articles/001.txt:L1 — European leaders define their plans (undated) — \"On")
    page = answer_markdown(Answer("q", checked.text, checked.citations, False, (), "extractive"))
    assert "(undated)" in page and url in page


def test_relative_dates_in_an_answer_show_the_day_they_mean():
    from briefing.answer.cite import check
    from briefing.answer.dating import resolve_relative_dates

    h = hit(MACRON, published=date(2025, 11, 26))
    undated = hit(TEAMS, published=None, rank=1)
    sentence = MACRON.split(". ")[0] + "."
    checked = check(f"- {sentence} [1]\n- {TEAMS} [2]", [h, undated])
    text = resolve_relative_dates(checked.text, checked.citations)
    assert text.splitlines()[0].startswith("- On Tuesday evening (25 Nov), French President Emmanuel Macron")
    assert text.splitlines()[1] == f"- {TEAMS} [2]"  # undated: nothing to resolve against
    assert checked.citations[0].quote == sentence  # the quote stays the source's own words
    later = check("- The ministers will meet again next week to agree the plan. [1]",
                  [hit("The ministers will meet again next week to agree the plan.", published=date(2025, 11, 26))])
    assert "next week (1–7 Dec)" in resolve_relative_dates(later.text, later.citations)


def test_the_noun_a_question_asks_about_draws_the_sentence_that_names_it():
    from briefing.answer.question import focus_of

    assert focus_of("Which three Delawareans were among the recipients?") == "delawarean"
    assert focus_of("What investment did Trump tout?") == "investment"
    assert focus_of("What did Macron announce?") is None
    medal = ("President Joe Biden named 20 recipients of the Presidential Citizens Medal, including three people from "
             "Delaware. \"President Biden believes these Americans are bonded by their common decency and commitment "
             "to serving others,\" according to a White House statement. The medal was awarded posthumously to two "
             "Delawareans: civil rights advocate and attorney Louis L. Redding and former Delaware Judge Collins J. "
             "Seitz Sr.")
    others = ("Other recipients bestowed the Presidential Citizens Medal on Thursday include former Republican Rep. "
              "Liz Cheney and Democratic Rep. Bennie Thompson.")
    answer = extract("Which three Delawareans were among the recipients when President Biden named 20 Presidential "
                     "Citizens Medal honorees?", [hit(medal), hit(others, rank=1)], max_sentences=3)
    assert "Redding" in answer


def test_days_in_a_sentence_about_the_future_resolve_forward():
    from briefing.answer.cite import check
    from briefing.answer.dating import resolve_relative_dates

    sentence = "Kennedy is set to testify in Senate hearings Wednesday and Thursday, but just one committee will vote."
    h = hit(sentence, published=date(2025, 1, 29))  # a Wednesday
    checked = check(f"- {sentence} [1]", [h])
    text = resolve_relative_dates(checked.text, checked.citations)
    # the future cue ("is set to") reaches every weekday of the clause: never the Thursday before publication
    assert "Thursday (30 Jan)" in text and "(23 Jan)" not in text


def test_another_measure_or_an_older_figure_is_no_disagreement():
    absent = hit("Overall, roughly 30% of students were chronically absent during the 2021-22 year.", "Absences", 0)
    reading = hit("According to the Report Card, only 37% of students were reading at grade level in 2015, compared "
                  "to the national average of 36%.", "Reading", 1, path="news/reading.txt")
    q = "What percentage of Delaware students are chronically absent according to recent data?"
    assert DIFFER not in extract(q, [absent, reading])
    june = hit("The Biden administration has approved more than $6 billion in security assistance to Ukraine since "
               "Russia's invasion began.", "Aid", 0, published=date(2022, 6, 15))
    march = hit("The US has committed approximately $3.4 billion in assistance to Ukraine since Russia's invasion "
                "began.", "Aid package", 1, path="news/march.txt", published=date(2022, 3, 10))
    q = "How much aid has the Biden administration given to Ukraine since Russia's invasion began?"
    assert DIFFER not in extract(q, [june, march])
    assert DIFFER in extract(q, [june, replace(march, doc=replace(march.doc, published=date(2022, 6, 14)))])


def test_irregular_past_forms_match_their_verb():
    from briefing.answer.question import terms

    assert terms("Who leads the group?")[0] == terms("It was led by France")[-2]
    assert set(terms("Which team won?")) & set(terms("Ohio State will win"))
    answer = extract("Who leads the new joint working group on security guarantees?",
                     [hit("One official argued that the new working group would bring coherence to talks on security "
                          "guarantees, and diplomats welcomed it."), hit(MACRON.split(". ")[0] + ".", rank=1)])
    assert bullets(answer)[0].startswith("- On Tuesday evening, French President Emmanuel Macron")


def test_a_relative_date_inside_a_quotation_is_left_alone():
    from briefing.answer.cite import check
    from briefing.answer.dating import resolve_relative_dates

    sentence = ("Hegseth appeared to backpedal, telling reporters in December, \"We support all women serving in our "
                "military today who do a fantastic job.\"")
    checked = check(f"- {sentence} [1]", [hit(sentence, published=date(2025, 1, 14))])
    assert resolve_relative_dates(checked.text, checked.citations) == checked.text
