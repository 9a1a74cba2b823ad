"""Tests for ``briefing memo``: the window, undated articles, relative dates, disagreements, rendering (golden files,
escaping, JSON), LLM sections with citation checks, and exact quotes in the example memo.

Regenerate the golden files with ``BRIEFING_REGEN_GOLDEN=1 pytest tests/test_memo.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from briefing.memo import render as memo_render
from briefing.memo.actors import speaker
from briefing.cli import main
from briefing.memo.disagree import claims, figures, quantities
from briefing.testing import FakeEmbedder, WhitespaceTokens
from briefing.errors import BriefingError, UsageError
from briefing.ingest.indexer import build_index
from briefing.answer.llm import StubLLM
from briefing.memo.build import build_memo
from briefing.memo.model import Disagreement, Event, Memo, Section, Side, Window
from briefing.memo.window import choose_window, parse_week
from briefing.memo.pool import Sentence, readable
from briefing.memo.register import Register
from briefing.answer.session import Session
from briefing.text import make_span, stems
from briefing.memo.timeline import excerpt
from briefing.written_dates import describe, resolve
from briefing.types import Chunk, Document, Hit

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("BRIEFING_REGEN_GOLDEN", "") not in ("", "0")

# Three dated articles on one story and one undated one; b contradicts a on the coalition's size.
ARTICLES = {
    "a.txt": """Macron sets up a working group on Ukraine
Published: November 26, 2025

On Tuesday evening, French President Emmanuel Macron announced a new working group led by France and Britain.
The meeting of the 33-member coalition of the willing was held by video on Tuesday.
Participants offered condolences for seven civilians killed in strikes on Kyiv the previous night.
In the coming days, we will define the contributions of each country, Macron promised.
Police chief Laurent Nunez said an activist wrote <script>alert(1)</script> and {{ 7*7 }} on a banner in Paris.
""",
    "b.txt": """Zelensky thanks allies after video call
Published: November 27, 2025

Ukrainian President Volodymyr Zelensky said 34 countries of the coalition of the willing joined the meeting on Tuesday.
The working group led by France and Britain is expected to present plans next week.
Secretary of State Marco Rubio told European counterparts that Washington wants a peace deal before guarantees.
State Department spokesperson Tommy Pigott said it was not true, disputing claims that Rubio wants a deal first.
""",
    "c.txt": """Geneva talks open
Published: November 20, 2025

Negotiators from the United States and Ukraine met in Geneva on Thursday to discuss the peace plan.
The talks in Geneva are expected to continue over the weekend, officials said.
""",
    "d.txt": """An undated comment on Ukraine

European leaders discussed security guarantees for Ukraine at length in Paris.
""",
}


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory) -> Path:
    """The four articles above indexed with the fast fake embedder."""
    root = tmp_path_factory.mktemp("memo")
    docs = root / "docs"
    docs.mkdir()
    for name, text in ARTICLES.items():
        (docs / name).write_text(text, encoding="utf-8")
    build_index([docs], root / "index", embedder=FakeEmbedder(), tokens=WhitespaceTokens())
    return root / "index"


@pytest.fixture(scope="module")
def session(fake_index) -> Session:
    return Session(fake_index, embedder=FakeEmbedder())


@pytest.fixture
def fake_cli(monkeypatch):
    """Make CLI sessions embed with the fake the test index was built with."""
    monkeypatch.setattr(Session, "embedder", lambda self: FakeEmbedder())


def run(argv, capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


# ---- the window ----------------------------------------------------------------------------------------------------
def test_parse_week_is_the_iso_week_monday_to_sunday():
    assert parse_week("2025-W48") == (date(2025, 11, 24), date(2025, 11, 30))
    assert parse_week("2025-W01") == (date(2024, 12, 30), date(2025, 1, 5))  # ISO week 1 starts in December
    assert parse_week("2026-w53") == (date(2026, 12, 28), date(2027, 1, 3))


@pytest.mark.parametrize("bad", ["2025-48", "W48", "2025-W", "2025-W99", "2025-W53", "next week", ""])
def test_parse_week_rejects_malformed_weeks(bad):
    with pytest.raises(UsageError, match="week"):
        parse_week(bad)


def test_default_window_is_the_seven_days_ending_at_the_newest_dated_article(session):
    w = choose_window(session.store)
    assert (w.since, w.until) == (date(2025, 11, 21), date(2025, 11, 27))
    assert "newest dated article (2025-11-27)" in w.how


def test_window_bounds_are_inclusive(session):
    memo = build_memo(session, choose_window(session.store, since=date(2025, 11, 26), until=date(2025, 11, 26)))
    assert [Path(d.path).name for d in memo.documents] == ["a.txt"]
    memo = build_memo(session, choose_window(session.store, since=date(2025, 11, 20), until=date(2025, 11, 27)))
    assert sorted(Path(d.path).name for d in memo.documents) == ["a.txt", "b.txt", "c.txt"]


def test_one_sided_windows_and_conflicting_options(session):
    w = choose_window(session.store, since=date(2025, 11, 20))
    assert (w.since, w.until) == (date(2025, 11, 20), date(2025, 11, 26))
    w = choose_window(session.store, week="2025-W48")
    assert (w.since, w.until) == (date(2025, 11, 24), date(2025, 11, 30)) and "2025-W48" in w.how
    with pytest.raises(UsageError):
        choose_window(session.store, week="2025-W48", since=date(2025, 11, 20))
    with pytest.raises(UsageError):
        choose_window(session.store, since=date(2025, 11, 28), until=date(2025, 11, 20))


def test_empty_window_names_the_oldest_and_newest_dated_articles(session):
    with pytest.raises(BriefingError) as err:
        choose_window(session.store, since=date(2025, 1, 1), until=date(2025, 1, 7))
    assert not isinstance(err.value, UsageError)
    message = str(err.value)
    assert "2025-11-20 (oldest)" in message and "2025-11-27 (newest)" in message and "\n" not in message


def test_cli_errors_exit_codes(fake_index, capsys):
    code, _, err = run(["memo", "--week", "2025-48", "--index", str(fake_index)], capsys)
    assert code == 2 and "not an ISO week like 2025-W48" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(["memo", "--since", "2025-13-01", "--index", str(fake_index)], capsys)
    assert code == 2 and "2025-13-01" in err
    code, _, err = run(["memo", "--week", "2025-W02", "--index", str(fake_index)], capsys)
    assert code == 1 and "no dated article" in err and "2025-11-27 (newest)" in err
    code, _, err = run(["memo", "--topic", " ", "--index", str(fake_index)], capsys)
    assert code == 2


def test_undated_articles_are_listed_with_how_to_date_them(session):
    memo = build_memo(session, choose_window(session.store))
    assert [Path(d.path).name for d in memo.undated] == ["d.txt"]
    assert all(Path(c.hit.doc.path).name != "d.txt" for c in memo.citations)
    data = json.loads(memo_render.render(memo, "json"))
    assert data["undated"][0]["path"].endswith("d.txt") and "Published:" in data["undated"][0]["hint"]


def test_include_undated_uses_them_counts_them_and_marks_their_citations(fake_cli, fake_index, session, capsys):
    memo = build_memo(session, choose_window(session.store), include_undated=True)
    assert "d.txt" in [Path(d.path).name for d in memo.documents] and memo.undated_included
    code, md, err = run(["memo", "--index", str(fake_index), "--include-undated"], capsys)
    assert code == 0, err
    assert "· 1 undated included, cited as undated ·" in md and "Undated sources not included" not in md
    cites = [line for line in md.splitlines() if line.startswith("- [") and "d.txt" in line]
    assert cites and all("(undated)" in line for line in cites)


# ---- relative dates ------------------------------------------------------------------------------------------------
WED = date(2025, 11, 26)  # a Wednesday
RELATIVE = [
    # (sentence, published, phrase found, first, last)
    ("Ministers met on Tuesday.", WED, "on Tuesday", date(2025, 11, 25), date(2025, 11, 25)),
    ("On Tuesday evening, Macron announced a group.", WED, "Tuesday evening", date(2025, 11, 25), None),
    ("The vote happened Wednesday.", WED, "Wednesday", WED, None),  # on or before publication: the same day
    ("He spoke last Wednesday.", WED, "last Wednesday", date(2025, 11, 19), None),
    ("The leaders will meet on Friday.", WED, "on Friday", date(2025, 11, 28), None),  # future cue: next Friday
    ("They meet next Monday.", WED, "next Monday", date(2025, 12, 1), None),
    ("Seven were killed the previous night.", WED, "the previous night", date(2025, 11, 25), None),
    ("On Tuesday, seven were killed the previous night.", WED, "the previous night", date(2025, 11, 24), None),
    ("Officials said so yesterday.", WED, "yesterday", date(2025, 11, 25), None),
    ("The plan circulated last week.", WED, "last week", date(2025, 11, 17), date(2025, 11, 23)),
    ("Talks continue this week.", WED, "this week", date(2025, 11, 24), date(2025, 11, 30)),
    ("Talks resume next week.", WED, "next week", date(2025, 12, 1), date(2025, 12, 7)),
    ("Negotiators met last weekend.", WED, "last weekend", date(2025, 11, 22), date(2025, 11, 23)),
    ("Negotiators met over the weekend.", date(2025, 11, 30), "over the weekend", date(2025, 11, 29),
     date(2025, 11, 30)),  # written on a Sunday: this weekend
    ("Geneva talks (Nov 22-23) ended.", WED, "Nov 22-23", date(2025, 11, 22), date(2025, 11, 23)),
    ("It met on November 25, 2025.", WED, "November 25, 2025", date(2025, 11, 25), None),
    ("It met on Tuesday, November 25, 2025.", WED, "Tuesday, November 25, 2025", date(2025, 11, 25), None),
    ("It met on 25 November.", WED, "25 November", date(2025, 11, 25), None),
    ("Leaks came circa Nov 19.", WED, "circa Nov 19", date(2025, 11, 19), None),
    ("He died on December 28.", date(2026, 1, 3), "December 28", date(2025, 12, 28), None),  # the year before
    ("Celebrations peak on Fat Tuesday.", WED, None, None, None),  # a holiday, not a weekday
    ("Biden told USA TODAY about it.", WED, None, None, None),  # a newspaper
]


@pytest.mark.parametrize("sentence,published,phrase,first,last", RELATIVE)
def test_relative_dates_resolve_against_publication(sentence, published, phrase, first, last):
    refs = resolve(sentence, published)
    if phrase is None:
        assert refs == []
        return
    ref = next(r for r in refs if r.phrase == phrase)
    assert (ref.first, ref.last) == (first, last or first)
    assert sentence[ref.start : ref.end] == phrase


def test_datelines_are_not_events():
    assert resolve("Published: November 26, 2025 | Latest updates", WED) == []
    assert resolve("date 2025-11-26 European leaders met.", WED) == []


def test_describe_and_excerpt():
    ref = resolve("Geneva talks (Nov 22-23) ended.", WED)[0]
    assert describe(ref) == "2025-11-22 – 23"
    assert describe(resolve("Leaks came circa Nov 19.", WED)[0]) == "~2025-11-19"
    text = "Plot Geneva talks (Nov 22-23), leaks (circa Nov 19), and the meeting (Nov 25)."
    at = text.index("circa")
    assert excerpt(text, at, at + 12, grow=False) == "…leaks (circa Nov 19)…"
    assert excerpt(text, at, at + 12) == text


# ---- speakers, disagreements ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,who", [
    ("On Tuesday evening, French President Emmanuel Macron announced a group.", "French President Emmanuel Macron"),
    ("We will define the contributions - Macron promised.", "Macron"),
    ('"It must come with guarantees," said Rep. Don Bacon (R-Neb.).', "Rep. Don Bacon"),
    ('"Rubio was clear," State Department spokesperson Tommy Pigott said.',
     "State Department spokesperson Tommy Pigott"),
    ("Ed Arnold of the Royal United Services think tank in London warned that it was risky.", "Ed Arnold"),
    ("According to European Commission President Ursula von der Leyen, the week is decisive.",
     "European Commission President Ursula von der Leyen"),
    ('"Nothing about law," one European diplomat said of the plans.', None),
    ("Nevertheless, analysts urged caution.", None),
    ('He said: "Macron warned us."', None),
])
def test_speaker(text, who):
    assert speaker(text) == who


def _sentences(session) -> list[Sentence]:
    from briefing.memo.pool import sentence_pool

    store = session.store
    chunks = list(store.chunks(sorted(store.chunk_ids_between(date(2025, 11, 20), date(2025, 11, 27)))).values())
    docs = sorted(store.documents({c.doc_id for c in chunks}).values(), key=lambda d: d.path)
    return sentence_pool(docs, chunks)


def test_figures_that_differ_between_articles(session):
    found = figures(_sentences(session))
    assert len(found) == 1
    f = found[0]
    assert f.kind == "figure" and f.subject == "How many members or countries the coalition has"
    assert [(v, Path(s.doc.path).name) for v, s, _ in f.sides] == [("33-member", "a.txt"), ("34 countries", "b.txt")]


def test_figures_ignore_the_same_article_years_ordinals_and_near_approximations():
    def sent(text: str, doc_id: str) -> Sentence:
        d = Document(doc_id, f"{doc_id}.txt", "t", text, published=WED)
        return Sentence(d, 0, len(text), 0, None, frozenset(stems(text)))

    assert [q.head for q in quantities(sent("In 2022 the 39th president and 600,000 troops met.", "a"))] == ["troop"]
    same_doc = [sent("The coalition has 33 members in Europe.", "a"),
                sent("The coalition has 34 members in Europe.", "a")]
    assert figures(same_doc) == []
    approx = [sent("Nearly 600,000 troops guard the long front line.", "a"),
              sent("Some 590,000 troops guard the long front line.", "b")]
    assert figures(approx) == []
    other_story = [sent("Seven people were killed in the flood in Spain.", "a"),
                   sent("Twelve people attended the concert in Oslo.", "b")]
    assert figures(other_story) == []


def test_disputed_claims_pair_a_denial_with_the_report_before_it(session):
    found = claims(_sentences(session))
    assert len(found) == 1
    (v1, reported, _), (v2, disputed, _) = found[0].sides
    assert (v1, v2) == ("reported", "disputed")
    assert reported.plain.startswith("Secretary of State Marco Rubio told")
    assert "Pigott" in disputed.plain and found[0].subject == "Disputed by State Department spokesperson Tommy Pigott"


def test_readable_sentences():
    assert readable("The meeting of the coalition was held by video on Tuesday.")
    assert not readable("What is the coalition of the willing?")
    assert not readable('London warns of "unresolved issues"')
    assert not readable("Short one.")


# ---- the memo ------------------------------------------------------------------------------------------------------
def _assert_exact(memo: Memo) -> None:
    """Every [n] in every text of the memo resolves, and every citation quotes its document exactly."""
    texts = [s.body for s in memo.sections] + [e.text for e in memo.timeline]
    texts += [side.text for d in memo.disagreements for side in d.sides]
    numbers = {int(n) for t in texts for n in re.findall(r"\[(\d+)\??\]", t)}
    numbers |= {n for e in memo.timeline for n in e.citations}
    numbers |= {n for d in memo.disagreements for s in d.sides for n in s.citations}
    assert numbers == set(range(1, len(memo.citations) + 1))
    for i, c in enumerate(memo.citations, 1):
        assert c.n == i
        doc, span = c.hit.doc, c.quote_span
        assert c.quote == doc.text[span.char_start : span.char_end]
        assert make_span(doc, span.char_start, span.char_end) == span


def test_extractive_memo_sections_and_exact_citations(session):
    memo = build_memo(session, choose_window(session.store, since=date(2025, 11, 20), until=date(2025, 11, 27)))
    _assert_exact(memo)
    assert [s.key for s in memo.sections] == ["summary", "developments", "actors", "watch"]
    assert memo.llm == "extractive" and not memo.warnings
    summary = memo.section("summary").body
    assert 1 <= summary.count("\n- ") + summary.startswith("- ") <= 5
    assert "**French President Emmanuel Macron**" in memo.section("actors").body
    assert "in the coming days" in memo.section("watch").body.lower()
    days = {(e.first, e.phrase) for e in memo.timeline}
    assert (date(2025, 11, 25), "Tuesday evening") in days or (date(2025, 11, 25), "on Tuesday") in days
    assert {d.kind for d in memo.disagreements} == {"figure", "claim"}
    assert all(len(s.citations) >= 1 for d in memo.disagreements for s in d.sides)


def test_same_quote_keeps_one_number_across_sections():
    text = "Macron announced a working group on Tuesday. Rubio wants a peace deal first."
    doc = Document("d", "d.txt", "t", text, published=WED)
    hit = Hit(Chunk("d", 0, text, make_span(doc, 0, len(text))), doc, 1.0)
    reg = Register()
    one, cited1 = reg.verify("- Rubio wants a peace deal first [1]\n- Macron announced a working group [1]", [hit], "A")
    two, cited2 = reg.verify("Macron announced a working group on Tuesday [1].", [hit], "B")
    assert one == "- Rubio wants a peace deal first [1]\n- Macron announced a working group [2]"
    assert two == "Macron announced a working group on Tuesday [2]." and cited2 == (2,)
    assert len(reg.citations) == 2


def test_llm_sections_are_written_one_at_a_time_and_verified(session):
    window = choose_window(session.store, since=date(2025, 11, 26), until=date(2025, 11, 26))
    llm = StubLLM()
    reply = ("Macron announced a new working group led by France and Britain [1]. "
             "The moon is made of cheese [1]. Rubio resigned [9].")
    llm.enqueue(*[reply] * 12)
    memo = build_memo(session, window, llm=llm)
    assert len(llm.calls) >= 3  # one call per section, not one giant prompt
    for messages in llm.calls:
        user = messages[-1]["content"]
        assert '<passage n="1"' in user and "</passage>" in user
        if "7*7" in user:
            assert "{{ 7*7 }}" in user  # article text stays literal: never compiled as a template
    _assert_exact(memo)
    summary = memo.section("summary").body
    assert re.search(r"working group led by France and Britain \[\d+\]\.", summary)
    assert re.search(r"cheese \[\d+\?\]", summary)
    assert "[9]" not in summary
    assert any("removed citation [9]" in w for w in memo.warnings)
    assert any("does not support" in w and "cheese" in w for w in memo.warnings)
    assert memo.llm == "stub" and memo.usage.get("total_tokens", 0) > 0
    unsupported = [c for c in memo.citations if not c.supported]
    assert unsupported and all(f"[{c.n}?]" in summary or any(f"[{c.n}?]" in s.body for s in memo.sections)
                               for c in unsupported)


def test_llm_text_without_citations_falls_back_to_the_sources(session):
    window = choose_window(session.store, since=date(2025, 11, 26), until=date(2025, 11, 26))
    llm = StubLLM()
    llm.enqueue(*["The sources do not answer this question."] * 12)
    memo = build_memo(session, window, llm=llm)
    _assert_exact(memo)
    assert memo.citations and any("no verified citation" in w for w in memo.warnings)


def test_topics_make_the_themes(session):
    memo = build_memo(session, choose_window(session.store, since=date(2025, 11, 20), until=date(2025, 11, 27)),
                      topics=["working group"])
    _assert_exact(memo)
    assert memo.title == "Weekly briefing: working group"
    assert "### working group" in memo.section("developments").body


# ---- rendering -----------------------------------------------------------------------------------------------------
GOLDEN_TEXT = (
    "Macron sets up a group\nPublished: November 26, 2025\n\n"
    "On Tuesday evening, Macron announced a working group of 33 members.\n"
    "Rubio said <b>34</b> countries took part & more {{ 7*7 }} would follow.\n"
)


def golden_memo() -> Memo:
    """A small fixed memo, built by hand so rendering is tested without retrieval."""
    doc = Document("g1", "news/golden.txt", "Macron sets up a group", GOLDEN_TEXT, published=WED, source="UNN",
                   url="javascript:alert(1)")
    undated = Document("g2", "news/undated.txt", "No date here", "No date here.\nSome text.\n")
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", GOLDEN_TEXT)]
    macron, rubio = lines[2], lines[3]

    def hit(span):
        return Hit(Chunk("g1", 0, GOLDEN_TEXT[span[0] : span[1]], make_span(doc, *span)), doc, 1.0)

    reg = Register()
    summary, _ = reg.verify("- Macron announced a working group of 33 members on Tuesday evening [1]\n"
                            "- Rubio said 34 countries took part [2]", [hit(macron), hit(rubio)], "Executive summary")
    dev, _ = reg.verify("### Working group\n\n- On Tuesday evening, Macron announced a working group of 33 members [1]",
                        [hit(macron)], "Key developments")
    actors, _ = reg.verify("**Rubio**\n- Rubio said <b>34</b> countries took part & more {{ 7*7 }} would follow [1]",
                           [hit(rubio)], "Who said what")
    event_text, event_cites = reg.verify("On Tuesday evening, Macron announced a working group of 33 members [1]",
                                         [hit(macron)], "Timeline")
    side_a, cites_a = reg.verify("Macron announced a working group of 33 members [1]", [hit(macron)], "D")
    side_b, cites_b = reg.verify("Rubio said 34 countries took part [1]", [hit(rubio)], "D")
    strip = lambda t: re.sub(r"\s*\[\d+\]", "", t)  # noqa: E731
    return Memo(
        title="Weekly briefing: Working group",
        window=Window(date(2025, 11, 24), date(2025, 11, 30), "ISO week 2025-W48, Monday to Sunday"),
        sections=(Section("summary", "Executive summary", summary), Section("developments", "Key developments", dev),
                  Section("actors", "Who said what", actors),
                  Section("watch", "What to watch next", "Nothing ahead was announced.")),
        timeline=(Event(date(2025, 11, 25), date(2025, 11, 25), strip(event_text), event_cites, "Tuesday evening",
                        WED, relative=True),),
        disagreements=(Disagreement("How many members or countries", "figure", (
            Side("33 members", strip(side_a), cites_a, "news/golden.txt"),
            Side("34 countries", strip(side_b), cites_b, "news/golden.txt"))),),
        citations=tuple(reg.citations), documents=(doc,), undated=(undated,), warnings=("a warning <i>",),
        llm="extractive")


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_golden_rendering(fmt):
    text = memo_render.render(golden_memo(), fmt)
    path = GOLDEN / f"memo.{fmt}"
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), "rendering changed; BRIEFING_REGEN_GOLDEN=1 to accept"


def test_html_escapes_article_text_and_never_compiles_it():
    memo = golden_memo()
    html = memo_render.render(memo, "html")
    assert "<b>34</b>" not in html and "&lt;b&gt;34&lt;/b&gt;" in html
    assert "{{ 7*7 }}" in html and "<i>" not in html
    assert "<script" not in html.lower() and "javascript:" not in html
    assert 'href="#src-1"' in html and 'id="src-1"' in html and "<svg" in html
    md = memo_render.render(memo, "md")
    assert "{{ 7*7 }}" in md and "\\<b>34" in md
    data = json.loads(memo_render.render(memo, "json"))
    assert any("{{ 7*7 }}" in c["quote"] for c in data["citations"])


def test_html_from_an_article_with_a_script(fake_cli, fake_index, tmp_path, capsys):
    out = tmp_path / "memo.html"
    code, _, err = run(["memo", "--since", "2025-11-26", "--until", "2025-11-26", "--index", str(fake_index),
                        "-o", str(out)], capsys)
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; and {{ 7*7 }} on a banner" in html  # quoted, escaped, literal
    code, md, err = run(["memo", "--since", "2025-11-26", "--until", "2025-11-26", "--index", str(fake_index)],
                        capsys)
    assert code == 0 and "\\<script>alert(1)\\</script> and {{ 7*7 }} on a banner" in md


def test_json_shape():
    data = json.loads(memo_render.render(golden_memo(), "json"))
    assert {"title", "since", "until", "sections", "timeline", "disagreements", "citations", "documents", "undated",
            "warnings", "llm"} <= set(data)
    assert all({"heading", "body"} <= set(s) for s in data["sections"])
    assert data["timeline"][0] == {"date": "2025-11-25", "end": "2025-11-25", "citations": [1],
                                   "event": "On Tuesday evening, Macron announced a working group of 33 members",
                                   "phrase": "Tuesday evening", "published": "2025-11-26", "relative": True,
                                   "approximate": False}
    assert set(data["citations"][0]) == {"n", "path", "title", "published", "source", "url", "line_start", "line_end",
                                         "char_start", "char_end", "quote", "supported"}
    assert data["disagreements"][0]["sides"][1]["citations"] == [2]
    assert data["llm"] == "extractive" and (data["since"], data["until"]) == ("2025-11-24", "2025-11-30")


def test_user_template(tmp_path):
    good = tmp_path / "mine.txt.j2"
    good.write_text("{{ title }}: {{ citations | length }} sources{% for c in citations %} [{{ c.n }}] {{ c.quote }}"
                    "{% endfor %}\n", encoding="utf-8")
    text = memo_render.render(golden_memo(), "md", good)
    assert text.startswith("Weekly briefing: Working group: 2 sources [1] On Tuesday") and "<b>34</b>" in text
    escaped = tmp_path / "mine.html.j2"
    escaped.write_text("{% for c in citations %}{{ c.quote }}{% endfor %}", encoding="utf-8")
    assert "&lt;b&gt;" in memo_render.render(golden_memo(), "md", escaped)
    typo = tmp_path / "typo.j2"
    typo.write_text("{{ titel }}", encoding="utf-8")
    with pytest.raises(UsageError, match="titel"):
        memo_render.render(golden_memo(), "md", typo)


def test_cli_writes_formats_by_extension(fake_cli, fake_index, tmp_path, capsys):
    out = tmp_path / "memo.json"
    code, stdout, err = run(["memo", "--index", str(fake_index), "-o", str(out)], capsys)
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["since"] == "2025-11-21" and "wrote" in err and stdout == ""
    code, stdout, err = run(["memo", "--index", str(fake_index), "--week", "2025-W48", "--format", "md"], capsys)
    assert code == 0 and stdout.startswith("# Weekly briefing")


# ---- the example memo over examples/articles -----------------------------------------------------------------------
def test_memo_over_the_seed_articles_cites_exact_quotes(tmp_path):
    build_index([ROOT / "examples" / "articles"], tmp_path / "ix", embedder=FakeEmbedder(), tokens=WhitespaceTokens())
    session = Session(tmp_path / "ix", embedder=FakeEmbedder())
    memo = build_memo(session, choose_window(session.store, since=date(2025, 11, 20), until=date(2025, 11, 28)))
    _assert_exact(memo)
    cited = {Path(c.hit.doc.path).name[:3] for c in memo.citations}
    assert cited == {"000", "002", "003"}
    assert sorted(Path(d.path).name[:3] for d in memo.undated) == ["001", "004"]
    for c in memo.citations:  # the quote is in the file itself, on the lines the citation names
        lines = Path(c.hit.doc.path).read_text(encoding="utf-8").split("\n")
        assert c.quote in "\n".join(lines[c.quote_span.line_start - 1 : c.quote_span.line_end])


@pytest.mark.parametrize("name", ["memo-2025-11-20.md", "memo-2025-11-20.html"])
def test_committed_example_memo_quotes_are_in_the_articles(name):
    path = ROOT / "examples" / name
    if not path.exists():
        pytest.skip(f"{name} not generated yet")
    import html as htmllib

    text = path.read_text(encoding="utf-8")
    if name.endswith(".md"):
        entries = re.findall(r"^- \[(\d+)\] (\S+?):L(\d+)(?:-L(\d+))? — .*? — \"(.*?)\"(?: \(unverified\))?"
                             r"(?: — also in .*?)?(?: — low-quality source: .*)?$", text, re.M)
        quotes = [(p, int(a), int(b or a), q.replace("\\<", "<").replace("\\|", "|")) for _, p, a, b, q in entries]
    else:
        entries = re.findall(r'<span class="loc">(\S+?):L(\d+)(?:-L(\d+))?</span>.*?<blockquote>(.*?)</blockquote>',
                             text, re.S)
        quotes = [(p, int(a), int(b or a), htmllib.unescape(q)) for p, a, b, q in entries]
    assert quotes
    for rel, first, last, quote in quotes:
        lines = (ROOT / rel).read_text(encoding="utf-8").split("\n")
        window = " ".join(" ".join(lines[first - 1 : last]).split())
        shown = " ".join(quote.split()).rstrip("…")
        assert shown in window, f"{rel}:L{first}: {quote[:80]}"
    body = text.split('<section id="sources">' if name.endswith(".html") else "\n## Sources")[0]
    numbers = {int(n) for n in re.findall(r"\[(\d+)\??\]", body)}
    assert numbers and max(numbers) <= len(quotes)


@pytest.mark.skipif(not shutil.which("chromium"), reason="no chromium to open the HTML in")
def test_html_in_a_headless_browser(tmp_path):
    page = tmp_path / "memo.html"
    page.write_text(memo_render.render(golden_memo(), "html"), encoding="utf-8")
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=60).stdout
    assert "<svg" in dom and 'id="src-1"' in dom and "<script" not in dom.lower()
