"""The command line through click's CliRunner: exit codes, one-line errors, --json shapes, and ranking with the real
bundled model on examples/articles."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from briefing.cli import cli, main

HIT_KEYS = {"rank", "score", "path", "title", "published", "source", "url", "line_start", "line_end", "char_start",
            "char_end", "text"}


def run(args, **kw):
    """Run the CLI as ``main`` does (one-line errors, exit codes) and return (code, stdout, stderr)."""
    runner = CliRunner()
    result = runner.invoke(_main, args, catch_exceptions=False, **kw)
    return result.exit_code, result.stdout, result.stderr


import click  # noqa: E402


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _main(ctx):
    main(list(ctx.args))


def test_help_is_instant_and_imports_nothing_heavy():
    code = ("import sys; from briefing.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'openai', 'faiss', 'trafilatura') "
            "if m in sys.modules]\nprint(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_console_script_keeps_main_s_output_and_exit_codes():
    """The `briefing` script (cli.run) freezes the garbage collector on the way out; what it prints and its exit
    codes are main's, for success and for a usage error."""
    code = "import sys; from briefing.cli import run; sys.argv[0] = 'briefing'; run()"
    ok = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True)
    bad = subprocess.run([sys.executable, "-c", code, "search", "--bogus"], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("Usage: briefing")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == ["error: No such option '--bogus'."]


def test_search_ranks_the_macron_article_first(seed_index):
    code, out, err = run(["search", "what did Macron announce", "--index", str(seed_index), "--json"])
    assert code == 0, err
    result = json.loads(out)
    assert result["question"] == "what did Macron announce"
    assert result["hits"][0]["path"].endswith("003_f5fb50542c4e2589.txt")
    for hit in result["hits"]:
        assert set(hit) == HIT_KEYS
    text = result["hits"][0]["text"]
    assert "working group" in text


def test_search_batch_prints_one_json_line_per_question(seed_index, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("what did Macron announce\n\nfrozen Russian assets\n")
    code, out, _ = run(["search", "--batch", str(questions), "--index", str(seed_index), "--json", "-k", "2"])
    assert code == 0
    lines = out.strip().splitlines()
    assert [json.loads(x)["question"] for x in lines] == ["what did Macron announce", "frozen Russian assets"]
    assert all(len(json.loads(x)["hits"]) == 2 for x in lines)


def test_search_date_filter(seed_index):
    code, out, _ = run(["search", "security guarantees", "--index", str(seed_index), "--json", "-k", "10",
                        "--since", "2025-11-27", "--until", "2025-11-27"])
    assert code == 0
    hits = json.loads(out)["hits"]
    assert hits and {h["published"] for h in hits} == {"2025-11-27"}


def test_status_json(seed_index):
    code, out, _ = run(["status", "--index", str(seed_index), "--json", "--check"])
    assert code == 0
    info = json.loads(out)
    assert info["counts"]["documents"] == 5 and info["counts"]["undated"] == 2
    assert info["model"] == "all-MiniLM-L6-v2" and info["dim"] == 384 and info["problems"] == []
    assert info["size_bytes"] > 0 and info["built_at"]
    from briefing.embed.cpu import cpu_supports_bf16

    assert info["backend"] == ("bf16" if cpu_supports_bf16() else "onnx")  # what embedded the passages
    code, out, _ = run(["status", "--index", str(seed_index)])
    assert f"passages by {info['backend']}" in out


@pytest.mark.parametrize("args, code, needle", [
    (["search", "", "--index", "{idx}"], 2, "question is empty"),
    (["search", "x", "--since", "26/11/2025", "--index", "{idx}"], 2, "not a date"),
    (["search", "x", "-k", "0", "--index", "{idx}"], 2, "-k"),
    (["search", "x", "--since", "2025-12-01", "--until", "2025-11-01", "--index", "{idx}"], 2, "after --until"),
    (["search", "x", "--index", "{missing}"], 1, "briefing index"),
    (["status", "--index", "{missing}"], 1, "briefing index"),
    (["index", "{missing}/nowhere", "--index", "{missing}"], 2, "no such file or folder"),
    (["ask", "   ", "--index", "{idx}"], 2, "question is empty"),
    (["frobnicate"], 2, "No such command"),
    (["index", "{idx}", "--index", "{idx}", "--chunk-tokens", "1000"], 2, "--chunk-tokens"),
    (["index", "{idx}", "--index", "{idx}", "--chunk-tokens", "100", "--overlap-tokens", "60"], 2,
     "more than half"),
])
def test_errors_are_one_line_with_exit_codes(seed_index, tmp_path, args, code, needle):
    args = [a.format(idx=seed_index, missing=tmp_path / "missing") for a in args]
    got, out, err = run(args)
    assert got == code
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_index_cli_summary_and_model_mismatch(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Daily bulletin\n\nMacron announced a working group with the UK.\n")
    (docs / "b.txt").write_text("Daily bulletin\n\nMacron announced a working group with the UK.\n")
    (docs / "empty.txt").write_text("")
    (docs / "notes.xyz").write_text("not an article")
    index = tmp_path / "index"
    code, out, err = run(["index", str(docs), "--index", str(index), "--json", "-q"])
    assert code == 0, err
    report = json.loads(out)
    assert report["counts"]["documents"] == 1 and len(report["duplicates"]) == 1
    reasons = {s["path"].rsplit("/", 1)[-1]: s["reason"] for s in report["skipped"]}
    assert reasons["empty.txt"] == "empty" and reasons["notes.xyz"].startswith("unsupported")
    code, _, err = run(["index", str(docs), "--index", str(index), "--model", str(tmp_path / "nomodel")])
    assert code == 1 and "not a local sentence-transformers directory" in err


def test_index_of_nothing_useful_exits_1(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_text("")
    code, out, _ = run(["index", str(docs), "--index", str(tmp_path / "index"), "-q"])
    assert code == 1 and "empty" in out


def test_every_float_backend_builds_one_searchable_index(tmp_path):
    """Passages embedded by ONNX fp32 (any CPU) and by torch bf16 (auto on AMX) share one vector space: an index
    started with one and extended with the other still ranks the Macron article first for the ONNX query."""
    import shutil
    from pathlib import Path

    articles = Path(__file__).resolve().parents[1] / "examples" / "articles"
    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    names = sorted(p.name for p in articles.iterdir())
    for name in names[:3]:
        shutil.copy(articles / name, docs / name)
    code, out, err = run(["index", str(docs), "--index", str(index), "--backend", "onnx", "--int8", "no", "-q"])
    assert code == 0, err
    code, out, _ = run(["status", "--index", str(index), "--json"])
    assert json.loads(out)["backend"] == "onnx" and json.loads(out)["int8"] is False
    for name in names[3:]:
        shutil.copy(articles / name, docs / name)
    code, out, err = run(["index", str(docs), "--index", str(index), "--backend", "bf16", "-q"])
    assert code == 0, err
    code, out, _ = run(["status", "--index", str(index), "--json", "--check"])
    info = json.loads(out)
    assert info["backend"] == "bf16" and info["counts"]["documents"] == 5 and info["problems"] == []
    code, out, err = run(["search", "what did Macron announce", "--index", str(index), "--json"])
    assert code == 0, err
    assert json.loads(out)["hits"][0]["path"].endswith("003_f5fb50542c4e2589.txt")  # embedded by bf16
    code, _, err = run(["index", str(docs), "--index", str(index), "--int8", "yes"])
    assert code == 2 and "--rebuild" in err and len(err.strip().splitlines()) == 1


def test_torch_is_imported_only_when_passages_need_embedding(tmp_path):
    """The bf16 backend starts importing torch while the first new article is chunked; a run with nothing new to
    embed never imports it (so it stays a fraction of a second)."""
    from pathlib import Path

    articles = Path(__file__).resolve().parents[1] / "examples" / "articles"
    index = tmp_path / "index"
    code = ("import sys; from briefing.cli import main\n"
            f"try:\n    main(['index', {str(articles)!r}, '--index', {str(index)!r}, '--backend', 'bf16', '-q'])\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print('torch' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert [r.stdout.strip().splitlines()[-1] for r in runs] == ["True", "False"]


def test_an_int8_index_embeds_passages_and_queries_with_the_int8_model(tmp_path):
    from pathlib import Path

    articles = Path(__file__).resolve().parents[1] / "examples" / "articles"
    index = tmp_path / "index"
    code, _, err = run(["index", str(articles), "--index", str(index), "--int8", "yes", "-q"])
    assert code == 0, err
    code, out, _ = run(["status", "--index", str(index), "--json"])
    assert json.loads(out)["int8"] is True and json.loads(out)["backend"] == "onnx"
    code, out, err = run(["search", "what did Macron announce", "--index", str(index), "--json"])
    assert code == 0, err
    assert json.loads(out)["hits"][0]["path"].endswith("003_f5fb50542c4e2589.txt")
    code, _, err = run(["index", str(articles), "--index", str(index), "--backend", "bf16"])
    assert code == 2 and "int8" in err and len(err.strip().splitlines()) == 1
