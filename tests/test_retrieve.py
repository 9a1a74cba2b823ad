"""The keyword query built from a question: phrases, names and acronyms kept, stopwords and FTS5 syntax not."""

from __future__ import annotations

import sqlite3

import pytest

from briefing.answer.retrieve import fts_query


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did Macron announce?", '"Macron" OR "announce"'),
        ('Who offered "security guarantees" to Kyiv?', '"security guarantees" OR "offered" OR "Kyiv"'),
        # US, IT and WHO are names here, though "us", "it" and "who" are stopwords.
        ("Did the US and the WHO agree?", '"US" OR "WHO" OR "agree"'),
        ("Why did IT staff strike?", '"IT" OR "staff" OR "strike"'),
        # A question typed in capitals keeps dropping its stopwords.
        ("WHAT DID MACRON ANNOUNCE IN THE US", '"MACRON" OR "ANNOUNCE"'),
        ("Is it 2025 or 1?", '"2025" OR "1"'),
        ('Odd "input" AND NOT ( * ^ near', '"input" OR "Odd" OR "AND" OR "NOT" OR "near"'),
        ("the of and", ""),
    ],
)
def test_fts_query(question, expected):
    assert fts_query(question) == expected


@pytest.mark.parametrize("question", ['a "b', "NEAR(x y)", "x* OR", '"""', "col:value", "-minus +plus", "ünï cödé"])
def test_fts_query_is_always_valid_fts5(question):
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61 remove_diacritics 2')")
    con.execute("INSERT INTO t VALUES ('some text')")
    match = fts_query(question)
    if match:
        con.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall()
