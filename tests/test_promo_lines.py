"""Promo and page chrome inside article text (``boilerplate.PROMO_RULES``): each rule on lines taken from the
RealTimeQA dumps, the article sentences around them that must stay, and a dump article indexed without them."""

from __future__ import annotations

import json

import pytest

from briefing.ingest.boilerplate import is_boilerplate, promo_rule

CHROME = [
    ("Need a break? Play the USA TODAY Daily Crossword Puzzle.", "game promo"),
    ("Sign up for Today's Best Articles in your inbox A free daily email with the biggest news stories of the day",
     "newsletter or subscription"),
    ("Support local journalism. Unlock unlimited digital access to floridatoday.com Click here and subscribe today.",
     "newsletter or subscription"),
    ("Got election questions? Sign up for USA TODAY's On Politics newsletter for breaking news and exclusive "
     "analysis.", "newsletter or subscription"),
    ("Eric Lagatta covers breaking and trending news for USA TODAY. Reach him at elagatta@gannett.com",
     "author contact"),
    ("Follow Deirdre Shesgreen on Twitter: @dshesgreen", "author contact"),
    ("More:Do food dyes make ADHD worse? Why some studies' findings spur food coloring bans", "related link"),
    ("Track California fires:Map traces current fires burning across state in real-time", "related link"),
    ("– Marina Pitofsky", "byline"),
    ("−Cybele Mayes-Osterman", "byline"),
    ("New York CNN Business —", "dateline"),
    ("CNN —", "dateline"),
    ("We occasionally recommend interesting products and services. If you make a purchase by clicking one of the "
     "links, we may earn an affiliate fee.", "affiliate or partner notice"),
    ("The Motley Fool is a USA TODAY content partner offering financial news, analysis and commentary.",
     "affiliate or partner notice"),
    ("Prefer to listen? Check out the 5 Things podcast:", "podcast promo"),
    ("This article is republished from The Conversation under a Creative Commons license. Read the original "
     "article.", "republication notice"),
]

# Article text from the same dumps that reads like the rules' words but is news.
ARTICLE = [
    "Usher will headline this year's Super Bowl halftime show sponsored by Apple Music.",
    "“Wall Street just paid people for subscribers, and because it paid people for subscribers, companies did not "
    "care about the economics,” he said.",
    "For those who have questions about the virus, call (866) 408-1899 or email questions to DPHCall@delaware.gov.",
    "Addressing a wary domestic audience, Macron added: \"We must not sow panic among the French.\"",
    "Trump said:“Remember, it was Bill Clinton who signed NAFTA.”",
    "The Philadelphia Eagles and Kansas City Chiefs will face off in Super Bowl LIX.",
    "Super Bowl LIX is set for Sunday, Feb. 9, 2025, with a 6:30 p.m. kickoff time.",
    "Starbucks will begin to \"optimize\" its menu offerings in the coming months, resulting in a 30% reduction in "
    "both beverage and food items by the end of the 2025 fiscal year, which is June 30, 2025.",
    "The band started in 2003 with four of six original members who grew up in strict Amish households in "
    "Lancaster, Pennsylvania.",
]


@pytest.mark.parametrize("line, rule", CHROME)
def test_promo_and_chrome_lines_are_named_and_dropped(line, rule):
    assert promo_rule(line) == rule
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", ARTICLE)
def test_article_sentences_stay(line):
    assert promo_rule(line) is None and not is_boilerplate(line)


def test_a_dump_article_is_indexed_without_its_promo_lines(tmp_path):
    from briefing.ingest.indexer import build_index
    from briefing.store import open_store
    from briefing.testing import FakeEmbedder, WhitespaceTokens

    text = ("Those are the members in the cover band The Amish Outlaws.\n\n"
            "Need a break? Play the USA TODAY Daily Crossword Puzzle.\n\n"
            "The band started in 2003 with four of six original members who grew up in strict Amish households in "
            "Lancaster, Pennsylvania.\n\nMore:Amish band plays 50 Cent at a Delaware fair\n\n– Natalie Neysa Alund")
    record = {"search_result": [{"title": "Amish Outlaws", "url": "https://example.com/amish", "text": text,
                                 "publish_date": "2024/03/15"}]}
    corpus = tmp_path / "dump"
    corpus.mkdir()
    (corpus / "week_gcs.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    build_index([corpus], tmp_path / "index", embedder=FakeEmbedder(), tokens=WhitespaceTokens())
    store = open_store(tmp_path / "index")
    passages = [c.text for c in store.chunks(sorted(store.chunk_ids_between(None, None))).values()]
    joined = "\n".join(passages)
    assert "cover band" in joined and "Lancaster" in joined
    assert "Crossword" not in joined and "More:" not in joined and "Alund" not in joined
