"""Key-fact ("nugget") scoring in ``briefing eval``: which facts an answer states, the summary figures, the
per-question records, and the nuggets-dev question set on a real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefing.cli import main
from briefing.errors import UsageError
from briefing.evaluate import metrics as ev
from briefing.evaluate.facts import Facts, check_facts, parse_nuggets
from briefing.evaluate.metrics import Question, Result
from briefing.testing import FakeEmbedder
from tests.test_evaluate import fake_index, fake_session, run_cli  # noqa: F401  (fixtures)

ANSWER = ("- On Tuesday evening, French President Emmanuel Macron announced the creation of a new joint working group "
          "- led by France and Great Britain with the participation of the US and Turkey. [1]")


def test_a_fact_is_stated_by_any_alternative_as_whole_words():
    facts = check_facts([["France", "French"], ["Britain", "British"], ["military support", "contribution"]],
                        ANSWER, [ANSWER + " It aims to clarify the exact details of the military support."])
    assert facts.stated == ("France", "Britain") and facts.missed == ("military support",)
    assert facts.in_passages == 3 and facts.total == 3 and facts.recall == pytest.approx(2 / 3)
    # whole words, case- and quote-insensitive, citation markers ignored
    assert check_facts([["Article 5"]], "It needs “ARTICLE 5” guarantees [2].", []).stated == ("Article 5",)
    assert check_facts([["Turk"]], ANSWER, []).missed == ("Turk",)
    assert check_facts([["1"]], "Passage [1] says nothing.", []).missed == ("1",)
    # an abstention states nothing, whatever its passages hold
    assert check_facts([["France"]], None, [ANSWER]) == Facts((), ("France",), 1)


def test_nuggets_are_parsed_or_refused_with_the_line():
    assert parse_nuggets([["a", " b "], ["c"]]) == (("a", "b"), ("c",))
    assert parse_nuggets(["a", "c"]) == (("a",), ("c",))
    assert parse_nuggets(None) == ()
    q = ev.parse_question('{"question": "q", "nuggets": [["x", "y"]]}', 3, "n.jsonl")
    assert q.nuggets == (("x", "y"),)
    for bad in ('"x"', "[[]]", '[[""]]', "[[1]]", "[{}]"):
        with pytest.raises(UsageError, match=r'n.jsonl:3: "nuggets" must be'):
            ev.parse_question('{"question": "q", "nuggets": %s}' % bad, 3, "n.jsonl")


def _asked(stated, missed, held, answerable=True, asked=True, insufficient=False):
    q = Question("q", (), None, answerable, 1, tuple((x,) for x in stated + missed))
    check = ev.AnswerCheck(insufficient, 1, 1, 1, 0, None, 0.1) if asked else None
    return Result(q, (), None, None, insufficient, "ok", check, (), Facts(tuple(stated), tuple(missed), held))


def test_summary_key_fact_recall_fully_answered_and_passages():
    results = [_asked(["a", "b"], [], 2), _asked(["a"], ["b", "c"], 3), _asked([], ["a"], 0, insufficient=True),
               Result(Question("u", answerable=False), (), None, None, True, "ok", ev.AnswerCheck(True, 0, 0, 0, 0,
                                                                                               None, 0.1))]
    m = {x.name: x for x in ev.summarise(results, k=6)}
    assert (m["facts"].value, m["facts"].n) == (pytest.approx((1 + 1 / 3 + 0) / 3), 3)
    assert m["fully_answered"].value == pytest.approx(1 / 3)
    assert m["facts_in_passages"].value == pytest.approx((1 + 1 + 0) / 3)
    assert m["abstain"].value == 1.0 and m["false_abstain"].value == pytest.approx(1 / 3)
    # retrieval only: what the passages hold, no answer figures
    m = {x.name: x for x in ev.summarise([_asked(["a"], [], 1, asked=False)], k=6)}
    assert "facts" not in m and m["facts_in_passages"].value == 1.0
    assert ev.parse_threshold("facts=0.8").metric == "facts"
    assert ev.parse_threshold("fully_answered=0.6").metric == "fully_answered"


def test_misses_name_the_missed_facts():
    q = Question("q", (), None, True, 1, (("France",), ("military support",)))
    check = ev.AnswerCheck(False, 1, 1, 1, 0, None, 0.1)
    assert ev.misses(q, None, None, False, 6, check, Facts(("France",), ("military support",), 2)) == (
        "missed key facts: military support",)


def test_an_article_of_a_dump_is_matched_by_its_url():
    assert ev.path_matches("https://example.com/a/story/", "https://example.com/a/story")
    assert not ev.path_matches("https://example.com/a/story2", "https://example.com/a/story")
    from briefing.types import Document

    doc = Document("x", "/c/dump.jsonl", "t", "text", url="https://example.com/a/story")
    assert ev.doc_name(doc, ["https://example.com/a/story"]) == "https://example.com/a/story"
    assert ev.doc_name(doc, ["dump.jsonl"]) == "/c/dump.jsonl"


def test_cli_reports_facts_per_question_and_in_summary(fake_index, fake_session, tmp_path, capsys):  # noqa: F811
    qs = tmp_path / "facts.jsonl"
    qs.write_text("\n".join(json.dumps(q) for q in [
        {"question": "How much frozen Russian money does Europe hold?", "answerable": True,
         "nuggets": [["210 billion"], ["Belgium"], ["gold bars"]]},
        {"question": "What did Zanzibar's minister say about bananas?", "answerable": False, "nuggets": []},
    ]) + "\n", encoding="utf-8")
    code, out, err = run_cli(["eval", str(qs), "--index", str(fake_index), "--llm", "extractive", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    first = data["questions"][0]["facts"]
    assert first["total"] == 3 and first["in_passages"] == 2
    assert "gold bars" in first["missed"] and "210 billion" in first["stated"]
    assert "facts" not in data["questions"][1]
    assert data["summary"]["facts"] == pytest.approx(first["recall"], abs=1e-4) and data["summary"]["fully_answered"] == 0.0
    code, out, _ = run_cli(["eval", str(qs), "--index", str(fake_index), "--llm", "extractive"], capsys)
    assert "key-fact recall (answer)" in out and "answers stating every key fact" in out
    assert "facts stated/all" in out and "missed key facts: " in out and "gold bars" in out


NUGGETS_DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "nuggets-dev.jsonl"


@pytest.mark.skipif(not NUGGETS_DEV.exists(), reason="needs ../shared/eval/nuggets-dev.jsonl")
def test_seed_questions_state_their_key_facts_with_the_real_model(seed_index, tmp_path, capsys):
    """The examples/articles questions of nuggets-dev, answered extractively from an index built with the real
    model: the key facts are stated and the two questions the seeds cannot answer are abstained on."""
    lines = [line for line in NUGGETS_DEV.read_text(encoding="utf-8").splitlines()
             if line.strip() and json.loads(line).get("corpus") == "seeds"]
    qs = tmp_path / "seeds-nuggets.jsonl"
    qs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run_cli(["eval", str(qs), "--index", str(seed_index), "--llm", "extractive", "--json",
                              "--min-hit", "facts=0.8", "--min-hit", "abstain=1"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["false_abstain"] == 0.0 and data["summary"]["supported"] == 1.0
