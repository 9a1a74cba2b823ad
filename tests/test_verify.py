"""``briefing ask --llm openai`` with a model that gets a name, a number or a "not" wrong, against the loopback fake
OpenAI server: each wrong sentence is flagged with its reason, the right ones are not; and ``--verify llm``, the
model's second opinion, which can only add flags."""

from __future__ import annotations

import json
import re

from fakeopenai import openai_server  # noqa: F401
from test_ask import assert_quotes_resolve, openai_env, run
from test_memo import fake_index, session  # noqa: F401

QUESTION = "what did Macron announce"


def _passage_n(server, seed_index, needle: str) -> int:
    """The number the prompt gives the passage holding ``needle`` (retrieval is the real model's)."""
    server.enqueue("The sources do not answer this question.")
    code, _, err = run(["ask", QUESTION, "--index", str(seed_index), "--json"], env=openai_env(server))
    assert code == 0, err
    user = server.requests[-1].body["messages"][-1]["content"]
    for m in re.finditer(r'<passage n="(\d+)"[^>]*>(.*?)</passage>', user, re.DOTALL):
        if needle in m.group(2):
            return int(m.group(1))
    raise AssertionError(f"no passage holds {needle!r}")


def _sentences(answer: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.])\s+", answer) if s.strip()]


def test_wrong_name_number_and_negation_are_flagged_with_reasons(seed_index, openai_server):
    n = _passage_n(openai_server, seed_index, "Emmanuel Macron announced the creation")
    right = f"Macron announced a new joint working group led by France and Britain, with the US and Turkey taking part [{n}]."
    wrong = {
        "'Merz' is not in": f"Friedrich Merz announced the creation of a new joint working group [{n}].",
        "negated": f"Macron did not announce any new working group [{n}].",
        "'forty-seven'": f"The working group led by France and Great Britain has forty-seven members [{n}].",
    }
    openai_server.enqueue(" ".join([right, *wrong.values()]))
    code, out, err = run(["ask", QUESTION, "--index", str(seed_index), "--json"], env=openai_env(openai_server))
    assert code == 0, err
    result = json.loads(out)
    assert_quotes_resolve(result)
    first, *rest = _sentences(result["answer"])
    assert first.endswith("[1].") and result["citations"][0]["supported"]
    assert all(re.search(r"\[\d+\?\]\.$", s) for s in rest), result["answer"]
    warnings = result["warnings"]
    # one warning per wrong sentence, and one that most of the answer's citations failed
    assert len(warnings) == 4 and "2 of 3 citations could not be verified" in warnings[-1], warnings
    for why in wrong:
        assert sum(why in w for w in warnings) == 1, (why, warnings)
    # --strict turns the flags into exit 1
    openai_server.enqueue(" ".join([right, *wrong.values()]))
    code, _, _ = run(["ask", QUESTION, "--index", str(seed_index), "--strict"], env=openai_env(openai_server))
    assert code == 1


def test_verify_llm_adds_a_flag_when_the_model_says_no(seed_index, openai_server):
    n = _passage_n(openai_server, seed_index, "Emmanuel Macron announced the creation")
    ok = f"Macron announced a new joint working group led by France and Great Britain [{n}]."
    doubted = f"The working group is led by France and Great Britain with the participation of the US and Turkey [{n}]."
    flagged = f"Friedrich Merz announced a new joint working group [{n}]."
    openai_server.enqueue(f"{ok} {doubted} {flagged}")
    openai_server.enqueue("YES: Macron announced the creation of a new joint working group")
    openai_server.enqueue("NO: the quote does not say who leads the group")
    before = len(openai_server.requests)
    code, out, err = run(["ask", QUESTION, "--index", str(seed_index), "--json", "--verify", "llm"],
                         env=openai_env(openai_server))
    assert code == 0, err
    result = json.loads(out)
    checks = openai_server.requests[before + 1:]
    # one call per sentence the rules passed; the sentence the rules flagged is not asked about
    assert len(checks) == 2
    for req, sentence in zip(checks, (ok, doubted)):
        user = req.body["messages"][-1]["content"]
        assert "<quote n=\"1\">" in user and sentence.replace(f" [{n}]", "") in user
        assert "Emmanuel Macron announced" in user
    s1, s2, s3 = _sentences(result["answer"])
    assert s1.endswith("[1].") and re.search(r"\[\d+\?\]\.$", s2) and re.search(r"\[\d+\?\]\.$", s3)
    assert any("the model finds" in w and "who leads the group" in w for w in result["warnings"])
    assert any("'Merz' is not in" in w for w in result["warnings"])
    assert result["usage"].get("verify_total_tokens", 0) > 0
    assert_quotes_resolve(result)


def test_verify_llm_never_removes_a_flag_and_reports_unreadable_replies(seed_index, openai_server):
    n = _passage_n(openai_server, seed_index, "Emmanuel Macron announced the creation")
    ok = f"Macron announced a new joint working group led by France and Great Britain [{n}]."
    negated = f"Macron did not announce any new working group [{n}]."
    openai_server.enqueue(f"{ok} {negated}")
    openai_server.enqueue("Maybe, it depends.")
    openai_server.enqueue("YES: everything")  # would be the negated sentence's, but it is never asked
    code, out, err = run(["ask", QUESTION, "--index", str(seed_index), "--json", "--verify", "llm"],
                         env=openai_env(openai_server))
    assert code == 0, err
    result = json.loads(out)
    s1, s2 = _sentences(result["answer"])
    assert s1.endswith("[1].") and re.search(r"\[\d+\?\]\.$", s2)
    assert any("unreadable reply" in w for w in result["warnings"])
    assert any("negated" in w for w in result["warnings"])


def test_verify_llm_without_an_llm_is_a_usage_error(seed_index):
    code, out, err = run(["ask", QUESTION, "--index", str(seed_index), "--llm", "extractive", "--verify", "llm"],
                         env={"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""})
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "--verify llm needs an LLM" in err


def test_memo_sections_get_the_same_checks_and_the_second_opinion(session):
    """The memo's LLM sections go through the same rules (a negation is flagged with its reason) and, with a
    verifier, the model's second opinion; quotes taken verbatim for the timeline are not asked about."""
    from datetime import date

    from briefing.answer.llm import StubLLM
    from briefing.answer.verify import LLMVerifier
    from briefing.memo.build import build_memo
    from briefing.memo.window import choose_window

    window = choose_window(session.store, since=date(2025, 11, 26), until=date(2025, 11, 26))
    writer = StubLLM()
    writer.enqueue(*["Macron announced a new working group led by France and Britain [1]. "
                     "Macron did not announce a new working group led by France and Britain [1]."] * 12)
    judge = StubLLM()
    judge.enqueue(*["NO: the quote names no leader of the group"] * 40)
    verifier = LLMVerifier(judge)
    memo = build_memo(session, window, llm=writer, verifier=verifier)
    summary = memo.section("summary").body
    assert any("negated" in w for w in memo.warnings)
    assert any("the model finds" in w and "names no leader" in w for w in memo.warnings)
    # with neither sentence verified, the section is the sources' own sentences instead, and says so
    assert "did not announce" not in summary and "led by France and Britain [" not in summary
    assert any("the LLM's text had no verified citation" in w for w in memo.warnings)
    asked = [m[-1]["content"] for m in judge.calls]
    assert asked and all("Sentence: Macron announced a new working group" in a for a in asked)
    # the sources' sentences shown instead are verbatim: checked by the rules, never flagged by the second opinion
    assert "[1?]" not in summary and "?]" not in summary
    # timeline entries are verbatim quotes: checked by the rules only, so they stay verified
    assert memo.timeline and all(memo.citations[n - 1].supported for e in memo.timeline for n in e.citations)
