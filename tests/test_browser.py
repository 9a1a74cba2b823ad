"""``briefing serve`` in a real browser: Playwright driving Debian's Chromium (``/usr/bin/chromium``, installed by
``make test`` when missing; never a browser download) against the app on a real uvicorn on loopback.

Asks "what did Macron announce" as a user would, clicks every [n] and reads the highlighted quote; opens a week's
memo from the home page, checks its SVG timeline and follows its links. Screenshots go to docs/screenshots/ (linked
from the README). Every page must load with no console error and no Content-Security-Policy violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from briefing.answer.generate import make_generator
from briefing.serve.app import Options, create_app
from conftest import ROOT
from liveserver import serving

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox",  # tests run as root in CI, where Chromium refuses its sandbox
        "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic"]
SHOTS = ROOT / "docs" / "screenshots"
MACRON = "what did Macron announce"
# Injected through the DevTools protocol, so it runs although the page's CSP forbids inline scripts.
CSP_PROBE = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.fixture(scope="module")
def server(seed_index):
    # paths are shown relative to the working directory, as the CLI shows them: articles/003_….txt
    here = os.getcwd()
    os.chdir(seed_index.parent)
    try:
        with serving(create_app(Options(seed_index, make_generator("extractive")))) as base:
            yield base
    finally:
        os.chdir(here)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Chromium is missing: apt-get install chromium (make test does it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 720})
    context.add_init_script(CSP_PROBE)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
          else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    yield pg
    violations = pg.evaluate("window.__csp || []")
    context.close()
    assert problems == [] and violations == []


def _api(page, server, path, **params):
    r = page.request.get(server + path, params=params)
    assert r.ok
    return r.json()


def _check_quote(page, quote: str) -> None:
    """The article view shows ``quote`` inside the one <mark>, centred in the window by /static/article.js."""
    mark = page.locator("mark#quote")
    expect(mark).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("data-scrolled-to", "quote")
    assert mark.text_content() == quote
    expect(mark).to_be_in_viewport()
    box, height = mark.bounding_box(), page.viewport_size["height"]
    assert 0 <= box["y"] and box["y"] + min(box["height"], height / 2) <= height


def test_ask_then_every_citation_opens_its_article_at_the_quote(server, page):
    page.goto(server + "/")
    page.fill("input[name=q]", MACRON)
    with page.expect_navigation():
        page.get_by_role("button", name="Ask", exact=True).click()
    assert "/ask?q=what+did+Macron+announce" in page.url
    record = _api(page, server, "/api/ask", q=MACRON)
    assert record["citations"], record
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "answer.png"))
    answer_url = page.url
    for c in record["citations"]:
        page.goto(answer_url)
        page.locator("section.answer a.cite", has_text=f"[{c['n']}]").first.click()
        page.wait_for_url("**/article/**#quote")
        _check_quote(page, c["quote"])
        expect(page.locator("dl.facts")).to_contain_text(f"{c['path']}:L{c['line_start']}")
        if c["n"] == 1:
            assert c["path"].endswith("003_f5fb50542c4e2589.txt")
            expect(page.locator("dl.facts")).to_contain_text(c["published"])
            page.screenshot(path=str(SHOTS / "article.png"))


def test_search_results_open_their_passages(server, page):
    page.goto(server + "/")
    page.fill("input[name=q]", "frozen assets")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    hits = _api(page, server, "/api/search", q="frozen assets")["hits"]
    expect(page.locator("ol.hits > li")).to_have_count(len(hits))
    page.locator("ol.hits a.loc").first.click()
    page.wait_for_url("**/article/**#quote")
    _check_quote(page, hits[0]["text"])


def test_the_weeks_memo_shows_its_timeline_and_its_links_work(server, page):
    page.goto(server + "/")
    with page.expect_navigation():
        page.get_by_role("link", name="2025-W48").click()
    assert page.url.endswith("/memo?week=2025-W48")
    timeline = page.locator("#timeline svg")
    expect(timeline).to_be_visible()
    markers = page.locator("#timeline svg a")
    assert markers.count() >= 1 and markers.count() == page.locator("#timeline tbody tr").count()
    assert timeline.bounding_box()["width"] > 300  # drawn, with the memo's own stylesheet applied
    page.locator("#timeline figure").screenshot(path=str(SHOTS / "memo-timeline.png"))
    markers.first.click()
    page.wait_for_url("**#ev-1")
    assert page.evaluate("document.querySelector('#ev-1').matches(':target')")
    memo = _api(page, server, "/api/memo", week="2025-W48")
    by_href = {c["href"]: c for c in memo["citations"]}
    cite = page.locator("#timeline a.cite").first
    href = cite.get_attribute("href")
    assert href in by_href
    cite.click()
    page.wait_for_url("**/article/**#quote")
    _check_quote(page, by_href[href]["quote"])
    page.go_back()
    source = page.locator("#sources a.loc").first
    href = source.get_attribute("href")
    source.click()
    page.wait_for_url("**/article/**#quote")
    _check_quote(page, by_href[href]["quote"])


def test_an_llm_answer_streams_into_the_page_and_its_citations_open_their_quotes(seed_index, page):
    with serving(create_app(Options(seed_index, make_generator("stub")))) as base:
        page.goto(base + "/")
        page.fill("input[name=q]", MACRON)
        with page.expect_navigation():
            page.get_by_role("button", name="Ask", exact=True).click()
        expect(page.locator("html")).to_have_attribute("data-answer", "done")
        record = _api(page, base, "/api/ask", q=MACRON)
        assert record["llm"] == "stub" and record["citations"]
        page.locator("section.answer a.cite", has_text="[1]").first.click()
        page.wait_for_url("**/article/**#quote")
        _check_quote(page, record["citations"][0]["quote"])
