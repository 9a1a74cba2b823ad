"""``briefing eval``: metric functions on hand-computed cases, the runner on a fake-embedded index, and the command's
output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefing.evaluate import metrics as ev
from briefing.answer.generate import make_generator
from briefing.cli import main
from briefing.testing import FakeEmbedder, WhitespaceTokens
from briefing.errors import UsageError
from briefing.evaluate.metrics import Question, Result, Threshold
from briefing.ingest.indexer import build_index
from briefing.answer.session import Session

SEEDS_DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "seeds-dev.jsonl"

ARTICLES = {
    "paris.txt": "Paris summit\nPublished: November 26, 2025\n\nMacron announced a working group on security "
                 "guarantees for Ukraine. The working group will meet in Paris next week.\n",
    "assets.txt": "Frozen assets\nPublished: November 20, 2025\n\nEurope holds about 210 billion euros of frozen "
                  "Russian money. Belgium holds most of the frozen Russian assets.\n",
    "troops.txt": "Troop ceiling\nPublished: November 21, 2025\n\nThe initial US proposal would cap Ukraine's "
                  "military at 600,000 troops. Kyiv rejected the troop ceiling.\n",
}
MACRON = "What working group did Macron announce for Ukraine?"
QUESTIONS = [
    {"question": MACRON, "expected_paths": ["paris.txt"], "expected_answer": "Working  Group",
     "answerable": True},
    {"question": "How much frozen Russian money does Europe hold?", "expected_paths": ["corpus/assets.txt"],
     "expected_answer": "210 billion", "answerable": True},
    {"question": "What did Zanzibar's minister say about bananas?", "expected_paths": [], "answerable": False},
    {"question": "How many troops would the US proposal allow?", "expected_paths": ["missing.txt"],
     "expected_answer": "600,000", "answerable": True},
]


# ---------------------------------------------------------------------------------------------------------------
# Metrics by hand


def test_path_matching_by_basename_or_suffix():
    assert ev.path_matches("/data/corpus/a.txt", "a.txt")
    assert ev.path_matches("/data/corpus/a.txt", "corpus/a.txt")
    assert ev.path_matches(r"C:\data\corpus\a.txt", "corpus/a.txt")
    assert not ev.path_matches("/data/corpus/ba.txt", "a.txt")
    assert not ev.path_matches("/data/xcorpus/a.txt", "corpus/a.txt")


def test_first_rank_hit_at_and_reciprocal_rank():
    paths = ["/x/b.txt", "/x/a.txt", "/x/a.txt", "/x/c.txt"]
    assert ev.first_rank(paths, ["a.txt"]) == 2  # a document's second passage does not count again
    assert ev.first_rank(paths, ["c.txt", "a.txt"]) == 2  # two expected files: the earliest one counts
    assert ev.first_rank(paths, ["z.txt"]) is None
    assert [ev.hit_at(2, k) for k in (1, 3, 5)] == [False, True, True]
    assert not ev.hit_at(None, 5)
    assert ev.reciprocal_rank(2) == 0.5
    assert ev.reciprocal_rank(None) == 0.0
    assert ev.reciprocal_rank(11) == 0.0  # MRR@10: beyond the cutoff is a miss
    assert ev.reciprocal_rank(10) == 0.1


def test_answer_string_is_matched_case_and_whitespace_insensitively():
    texts = ["nothing here", "Macron announced a Working\n  group on Monday", "working group"]
    assert ev.answer_rank(texts, "working group") == 2
    assert ev.answer_rank(texts, "  WORKING GROUP ") == 2
    assert ev.answer_rank(texts, "working\u00a0group") == 2  # NFKC: a no-break space is a space
    assert ev.answer_rank(texts, "workinggroup") is None
    assert ev.answer_rank(texts, "   ") is None
    assert ev.normalise("  A\tB\n\nc ") == "a b c"


def test_answer_matching_ignores_quote_marks_and_needs_every_part():
    texts = ["The nominations put \u201cEmilia P\u00e9rez\u201d first.", "The Philadelphia Eagles won.",
             "The U.S.\u2013Mexico border and the Kansas City Chiefs."]
    assert ev.answer_rank(texts, '"Emilia P\u00e9rez"') == 1
    assert ev.answer_rank(texts, "Emilia P\u00e9rez") == 1
    assert ev.answer_rank(texts, "U.S.-Mexico border") == 3  # en dash in the text, hyphen in the answer
    assert ev.answer_rank(texts, "Philadelphia Eagles & Kansas City Chiefs") == 3  # both parts by passage 3
    assert ev.answer_rank(texts[:2], "Philadelphia Eagles & Kansas City Chiefs") is None
    assert ev.answer_rank(texts, "Eagles & ") == 2  # an empty part asks for nothing
    assert ev.answer_parts(" & ") == []


def test_answer_matching_is_by_whole_words_and_folds_abbreviation_dots():
    texts = ["The fifth annual festival in Indianapolis, Indiana.", "Flights to Washington, D.C. resumed.",
             "The permit rose by 36% to $15,000.", "Rates rose 3.5 points in the U.S. and the UK."]
    assert ev.answer_rank(texts, "India") is None  # not a word of "Indiana"
    assert ev.answer_rank(texts, "Indiana") == 1
    assert ev.answer_rank(texts, "Washington, DC") == 2
    assert ev.answer_rank(texts, "$15,000") == 3
    assert ev.answer_rank(texts, "36%") == 3
    assert ev.answer_rank(texts, "$15") is None  # part of a larger number
    assert ev.answer_rank(texts, "3.5") == 4 and ev.answer_rank(texts, "35") is None  # decimals keep their dot
    assert ev.answer_rank(texts, "US") == 4
    assert ev.normalise("John F. Kennedy, a.m.") == "john f. kennedy, am"


def _result(expected=(), answer=None, answerable=True, rank=None, answer_rank=None, insufficient=False):
    q = Question("q", tuple(expected), answer, answerable)
    return Result(q, (), rank, answer_rank, insufficient, "ok")


def test_aggregation_excludes_questions_without_labels():
    results = [
        _result(["a.txt"], "x", rank=1, answer_rank=1),
        _result(["a.txt"], "x", rank=4, answer_rank=None),
        _result(["a.txt"], None, rank=None),
        _result([], "x", answer_rank=3),  # weakly labelled: counts for recall only
        _result([], None, answerable=False, insufficient=True),
        _result([], "x", answerable=True, answer_rank=2, insufficient=True),
    ]
    m = {x.name: x for x in ev.summarise(results, k=6)}
    assert (m["hit@1"].value, m["hit@1"].n) == (pytest.approx(1 / 3), 3)
    assert m["hit@3"].value == pytest.approx(1 / 3)
    assert m["hit@5"].value == pytest.approx(2 / 3)
    assert m["mrr"].value == pytest.approx((1 + 0.25 + 0) / 3)
    assert (m["recall@1"].value, m["recall@1"].n) == (pytest.approx(1 / 4), 4)
    assert m["recall@3"].value == pytest.approx(3 / 4)
    assert m["recall@6"].value == pytest.approx(3 / 4)
    assert (m["abstain"].value, m["abstain"].n) == (1.0, 1)
    assert (m["false_abstain"].value, m["false_abstain"].n) == (pytest.approx(1 / 5), 5)
    assert "resolved" not in m  # nothing was asked
    assert ev.metric([], "hit@1").value is None


def test_answer_checks_aggregate_over_citations():
    def asked(citations, resolved, supported, uncited, cited, secs):
        r = _result(["a.txt"], rank=1)
        check = ev.AnswerCheck(False, citations, resolved, supported, uncited, cited, secs)
        return Result(r.question, (), 1, None, False, "ok", check)

    results = [asked(3, 3, 2, 1, True, 1.0), asked(1, 0, 0, 0, False, 3.0), asked(0, 0, 0, 2, False, 2.0)]
    m = {x.name: x for x in ev.summarise(results, k=5)}
    assert (m["resolved"].value, m["resolved"].n) == (0.75, 4)
    assert m["supported"].value == 0.5
    assert m["uncited"].value == 3
    assert m["cited_expected"].value == pytest.approx(1 / 3)
    assert m["latency_p50"].value == 2.0
    assert m["latency_p90"].value == 3.0
    assert ev.percentile([5.0], 90) == 5.0
    assert ev.percentile(list(range(1, 11)), 90) == 9


@pytest.mark.parametrize("text, expected", [
    ("3=0.8", Threshold("hit@3", 0.8)),
    ("hit3=0.8", Threshold("hit@3", 0.8)),
    ("hit@3=0.8", Threshold("hit@3", 0.8)),
    ("HIT@1 = 1", Threshold("hit@1", 1.0)),
    ("mrr=0.5", Threshold("mrr", 0.5)),
    ("mrr@10=0.5", Threshold("mrr", 0.5)),
    ("recall5=0.4", Threshold("recall@5", 0.4)),
    ("recall@5=0.4", Threshold("recall@5", 0.4)),
    ("abstain=1", Threshold("abstain", 1.0)),
])
def test_threshold_parsing(text, expected):
    assert ev.parse_threshold(text) == expected


@pytest.mark.parametrize("text", ["hit@3", "=0.5", "hit@3=high", "hit@3=1.5", "hit@0=0.5", "hit@11=0.5",
                                  "latency_p90=0.5", "precision=0.5"])
def test_malformed_thresholds(text):
    with pytest.raises(UsageError) as err:
        ev.parse_threshold(text)
    assert "\n" not in str(err.value)


def test_threshold_comparison():
    results = [_result(["a.txt"], rank=1), _result(["a.txt"], rank=4)]
    report = ev.Report(tuple(results), ev.summarise(results), 6, 10, None)
    assert ev.failures(report, [Threshold("hit@5", 1.0), Threshold("hit@1", 0.5)]) == []
    assert ev.failures(report, [Threshold("hit@3", 0.8)]) == ["hit@3 0.500 < 0.8"]
    assert "no value" in ev.failures(report, [Threshold("recall@5", 0.1)])[0]


def test_misses_say_why():
    q = Question("q", ("a.txt",), "x", True)
    assert ev.misses(q, None, None, False, 6, None) == (ev.NOT_RETRIEVED, ev.NO_ANSWER_STRING)
    cited = ev.AnswerCheck(False, 1, 1, 1, 0, False, 0.1)
    assert ev.misses(q, 2, 1, False, 6, cited) == (ev.NOT_CITED,)
    assert ev.misses(q, 2, 7, True, 6, None) == (ev.WRONG_ABSTAIN, ev.NO_ANSWER_STRING)
    assert ev.misses(Question("q", answerable=False), None, None, False, 6, None) == (ev.SHOULD_ABSTAIN,)
    assert ev.misses(Question("q", answerable=False), None, None, True, 6, None) == ()


@pytest.mark.parametrize("line, needle", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"question": ""}', '"question"'),
    ('{"question": "q", "expected_paths": "a.txt"}', '"expected_paths"'),
    ('{"question": "q", "answerable": "no"}', '"answerable"'),
    ('{"question": "q", "expected_answer": 5}', '"expected_answer"'),
])
def test_malformed_question_lines(line, needle):
    with pytest.raises(UsageError, match=needle) as err:
        ev.parse_question(line, 7, "qs.jsonl")
    assert str(err.value).startswith("qs.jsonl:7: ")


# ---------------------------------------------------------------------------------------------------------------
# The runner and the command on a fake-embedded index


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("evalix")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index([corpus], root / "index", embedder=FakeEmbedder(), tokens=WhitespaceTokens())
    return root / "index"


@pytest.fixture()
def questions_file(tmp_path) -> Path:
    path = tmp_path / "qs.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n\n", encoding="utf-8")
    return path


@pytest.fixture()
def fake_session(monkeypatch):
    """Make the command's ``Session`` embed queries with the fake embedder the test index was built with."""
    import briefing.answer.session

    real = briefing.answer.session.Session
    monkeypatch.setattr(briefing.answer.session, "Session", lambda root, embedder=None: real(root, embedder=FakeEmbedder()))


def run_cli(args, capsys) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_retrieval_only(fake_index, questions_file):
    report = ev.run(Session(fake_index, embedder=FakeEmbedder()), ev.load_questions(questions_file), k=3)
    by = {r.question.question: r for r in report.results}
    assert by[MACRON].rank == 1
    assert by[MACRON].answer_rank == 1
    assert by["How much frozen Russian money does Europe hold?"].rank == 1
    assert by["What did Zanzibar's minister say about bananas?"].insufficient
    assert by["How many troops would the US proposal allow?"].misses == (ev.NOT_RETRIEVED,)
    assert all(r.answer is None for r in report.results)
    m = {x.name: x.value for x in report.summary}
    assert m["hit@1"] == pytest.approx(2 / 3) and m["abstain"] == 1.0 and m["recall@3"] == 1.0


def test_run_with_answers_checks_citations(fake_index, questions_file):
    session = Session(fake_index, embedder=FakeEmbedder())
    report = ev.run(session, ev.load_questions(questions_file), k=3, generator=make_generator("extractive"))
    macron = report.results[0]
    assert macron.answer is not None and macron.answer.citations >= 1
    assert macron.answer.resolved == macron.answer.citations
    assert macron.answer.cited_expected is True
    assert report.results[2].answer.insufficient
    names = [m.name for m in report.summary]
    assert {"resolved", "supported", "cited_expected", "uncited", "latency_p50", "latency_p90"} <= set(names)


def test_a_quote_that_differs_on_disk_does_not_resolve(fake_index, questions_file):
    from dataclasses import replace

    from briefing.answer.ask import answer

    a = answer(Session(fake_index, embedder=FakeEmbedder()), MACRON, make_generator("extractive"))
    c = a.citations[0]
    assert ev.citation_resolves(c, ev.DiskText())
    assert not ev.citation_resolves(c, lambda path: "x" * len(c.hit.doc.text))
    assert not ev.citation_resolves(replace(c, quote=c.quote + "!"))


def test_cli_table_and_misses(fake_index, questions_file, fake_session, capsys):
    code, out, err = run_cli(["eval", str(questions_file), "--index", str(fake_index), "--llm", "extractive"],
                             capsys)
    assert code == 0, err
    assert "hit@1" in out and "MRR@10" in out and "recall@6" in out
    assert "citations resolving to a real quote" in out
    assert "misses (1):" in out
    assert "#4 How many troops would the US proposal allow?: not retrieved" in out


def test_cli_json_shape(fake_index, questions_file, fake_session, capsys):
    code, out, _ = run_cli(["eval", str(questions_file), "--index", str(fake_index), "--llm", "none", "--json",
                            "-k", "3"], capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"settings", "questions", "summary", "counts", "thresholds"}
    assert data["settings"] == {"questions": str(questions_file), "k": 3, "depth": 10, "llm": None}
    assert len(data["questions"]) == 4
    first = data["questions"][0]
    assert first["rank"] == 1 and first["hit@1"] is True and first["reciprocal_rank"] == 1.0
    assert first["answer"] is None and first["misses"] == []
    assert data["questions"][2]["hit@1"] is None  # no expected file: not scored
    assert data["summary"]["hit@1"] == pytest.approx(2 / 3) and data["counts"]["hit@1"] == 3
    assert "resolved" not in data["summary"]


def test_cli_thresholds_pass_and_fail(fake_index, questions_file, fake_session, capsys):
    base = ["eval", str(questions_file), "--index", str(fake_index), "--llm", "none"]
    code, _, err = run_cli(base + ["--min-hit", "hit@1=0.6", "--min-hit", "abstain=1"], capsys)
    assert code == 0 and err == ""
    code, out, err = run_cli(base + ["--min-hit", "3=0.8", "--min-hit", "mrr=0.5", "--json"], capsys)
    assert code == 1
    assert json.loads(out)["thresholds"][0] == {"metric": "hit@3", "minimum": 0.8, "value": pytest.approx(2 / 3),
                                                "ok": False}
    assert err.strip() == "below threshold: hit@3 0.667 < 0.8"


@pytest.mark.parametrize("extra, needle", [
    (["--min-hit", "hit@3"], "expected METRIC=VALUE"),
    (["--min-hit", "speed=0.5"], "unknown metric"),
])
def test_cli_malformed_threshold_exits_2(fake_index, questions_file, capsys, extra, needle):
    code, out, err = run_cli(["eval", str(questions_file), "--index", str(fake_index)] + extra, capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and needle in err and err.count("\n") == 1


def test_cli_malformed_line_and_missing_file_exit_2(fake_index, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\n{"question": \n', encoding="utf-8")
    code, _, err = run_cli(["eval", str(bad), "--index", str(fake_index)], capsys)
    assert code == 2 and f"{bad}:2: not valid JSON" in err and err.count("\n") == 1
    code, _, err = run_cli(["eval", str(tmp_path / "nope.jsonl"), "--index", str(fake_index)], capsys)
    assert code == 2 and "not found" in err and err.count("\n") == 1


@pytest.mark.skipif(not SEEDS_DEV.exists(), reason="needs ../shared/eval/seeds-dev.jsonl")
def test_seed_questions_with_the_real_model(seed_index, capsys):
    code, out, err = run_cli(["eval", str(SEEDS_DEV), "--index", str(seed_index), "--llm", "extractive", "--json",
                              "--min-hit", "hit@5=0.8"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["resolved"] == 1.0
    assert data["summary"]["abstain"] == 1.0
