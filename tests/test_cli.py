"""The `rag` command as a user runs it: real subprocesses against the session's index of the seed corpus."""

import json
import re
import shutil
import subprocess
import sys

import pytest
from conftest import CORPUS, ROOT, cli, cli_env, finish, start_cli, stop_server
from llm_servers import free_port

from rag.cli import _parser, main

PAY = "What pay rise did the Government offer junior doctors?"
BARCLAY = "Who invited the BMA to pay talks in 2023?"
HUNT = [{"role": "user", "content": "What did Jeremy Hunt say about the strike?"},
        {"role": "assistant", "content": "Mr Hunt described this week's walkout as \"wholly unnecessary\" [1]."}]
LONG = ("How many operations were rescheduled during the first strike? " * 90)[:5000]
STREAM = [json.dumps(PAY), json.dumps({"question": "What did he urge them to do?", "history": HUNT}), "",
          '{"question": "unfinished', json.dumps({"history": []}), json.dumps(""), json.dumps(LONG), f"  {PAY}  "]
CITATION_KEYS = {"n", "article_id", "title", "publisher", "date", "url", "text", "start", "end", "score"}


@pytest.fixture(scope="module")
def runs(seed_settings):
    """The runs that load the model, started together so their model loads overlap."""
    index = str(seed_settings.index_dir)
    procs = {
        "text": start_cli("ask", PAY, "--index", index, console=True),
        "json": start_cli("ask", "--json", BARCLAY, "--index", index),
        "stream": start_cli("ask", "--json", "-", "--index", index, stdin="\n".join(STREAM) + "\n"),
    }
    return {name: finish(proc) for name, proc in procs.items()}


def check_cited(answer: dict, articles) -> None:
    """[n] markers are numbered 1..N by first appearance, each has its citation, and spans are exact."""
    assert set(answer) >= {"question", "answer", "refused", "citations"}
    markers = list(dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])))
    assert markers == list(range(1, len(markers) + 1))
    assert [c["n"] for c in answer["citations"]] == markers
    for c in answer["citations"]:
        assert set(c) >= CITATION_KEYS
        assert articles[c["article_id"]].text[c["start"]:c["end"]] == c["text"]
        assert c["title"] == articles[c["article_id"]].title


def test_ask_prints_answer_with_numbered_sources(runs):
    run = runs["text"]
    assert run.returncode == 0, run.stderr
    answer, _, sources = run.stdout.partition("\nSources:\n")
    assert "11 per cent" in answer
    markers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer)})
    assert markers and markers == list(range(1, len(markers) + 1))
    numbered = [int(n) for n in re.findall(r"^\[(\d+)\] ", sources, re.MULTILINE)]
    assert numbered == markers
    assert "Traceback" not in run.stderr


def test_ask_json_prints_one_object_with_exact_citations(runs, seed_index):
    run = runs["json"]
    assert run.returncode == 0, run.stderr
    [line] = run.stdout.splitlines()
    answer = json.loads(line)
    assert answer["question"] == BARCLAY
    assert not answer["refused"] and "Barclay" in answer["answer"]
    check_cited(answer, seed_index.articles)


def test_ask_json_stream_answers_each_line_in_order(runs, seed_index):
    run = runs["stream"]
    assert run.returncode == 0, run.stderr
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(out) == 7  # the blank input line is skipped
    pay, follow_up, bad_json, no_question, empty, long, plain = out
    assert pay["question"] == PAY and "11 per cent" in pay["answer"]
    assert follow_up["question"] == "What did he urge them to do?" and "citations" in follow_up
    assert set(bad_json) == {"error"} and "invalid JSON" in bad_json["error"]
    assert set(no_question) == {"error"} and "question" in no_question["error"]
    assert set(empty) == {"error"} and empty["error"]
    assert len(long["question"]) == 1000 and any("cut" in note for note in long["notes"])
    assert plain["question"] == PAY and "11 per cent" in plain["answer"]  # a plain-text line is a question too
    for answer in (pay, follow_up, long, plain):
        check_cited(answer, seed_index.articles)


def test_search_prints_passages_with_scores(seed_settings, seed_index, capsys):
    # In-process (rag.cli.main), to spare one more model-loading process; the other runs cover the entry points.
    assert main(["search", "How many operations were rescheduled?", "--index", str(seed_settings.index_dir),
                 "-k", "3"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^(\d)\. fused (\d\.\d{4})  cosine (\S+)  bm25 (\S+)  (\S+#\d+) \[(\d+):(\d+)\]$",
                      out, re.MULTILINE)
    assert [int(r[0]) for r in rows] == [1, 2, 3]
    assert [float(r[1]) for r in rows] == sorted((float(r[1]) for r in rows), reverse=True)
    assert "4,000 operations" in out
    chunks = {c.id: c for c in seed_index.chunks}
    assert all((chunks[r[4]].start, chunks[r[4]].end) == (int(r[5]), int(r[6])) for r in rows)


def test_ingest_prints_a_summary_to_stderr(tmp_path, seed_settings, seed_index):
    index = tmp_path / "index"
    shutil.copytree(seed_settings.index_dir, index)
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4")
    run = cli("ingest", str(corpus), "--index", str(index), console=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    passages = len(seed_index.chunks)
    summary = rf"^5 articles, {passages} passages \(unchanged, nothing to do\), 1 files skipped, [\d.]+ s"
    assert re.search(summary, run.stderr, re.MULTILINE), run.stderr
    assert run.stderr.count("scan.pdf") == 1  # listed once, not also as a log warning


@pytest.mark.parametrize("case", ["missing index", "empty question", "blank question", "stdin without --json",
                                  "missing corpus", "corpus is a file", "no readable article", "search no index"])
def test_user_errors_exit_2_with_one_line(case, tmp_path, seed_settings):
    index, corpus = str(seed_settings.index_dir), tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4")
    (corpus / "empty.txt").write_text("")
    args = {
        "missing index": ["ask", PAY, "--index", str(tmp_path / "none")],
        "empty question": ["ask", "", "--index", index],
        "blank question": ["ask", "  \t ", "--json", "--index", index],
        "stdin without --json": ["ask", "-", "--index", index],
        "missing corpus": ["ingest", str(tmp_path / "nowhere"), "--index", str(tmp_path / "i")],
        "corpus is a file": ["ingest", str(corpus / "scan.pdf"), "--index", str(tmp_path / "i")],
        "no readable article": ["ingest", str(corpus), "--index", str(tmp_path / "i")],
        "search no index": ["search", PAY, "--index", str(tmp_path / "none")],
    }[case]
    run = cli(*args)
    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr.splitlines()) == 1 and run.stderr.startswith("rag: "), run.stderr
    if "index" in case:
        assert "rag ingest" in run.stderr


def run_in(folder, *args: str, **popen) -> subprocess.Popen:
    """Start `python -m rag ARGS` with ``folder`` as the working directory (the repository's code imported)."""
    env = {**cli_env(), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "rag", *args], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_ingest_without_a_corpus_folder_says_what_it_reads(tmp_path):
    out, err = run_in(tmp_path, "ingest").communicate(timeout=120)
    assert out == "" and len(err.splitlines()) == 1, err
    assert err.startswith("rag: no corpus/ folder here") and "reads corpus/ by default" in err
    assert "rag ingest DIR" in err
    assert not (tmp_path / "index").exists()


@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize("k", ["0", "-3"])
def test_k_below_one_is_refused_in_one_line(command, k, seed_settings):
    run = cli(command, BARCLAY, "-k", k, "--index", str(seed_settings.index_dir))
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == f"rag: -k must be 1 or more (got {k})\n"


def test_ask_marks_the_quoted_sentences_of_each_source(seed_settings, seed_index, capsys):
    assert main(["ask", BARCLAY, "--index", str(seed_settings.index_dir)]) == 0
    out = capsys.readouterr().out
    answer, _, sources = out.partition("\nSources:\n")
    marked = [" ".join(m.split()) for m in re.findall(r"«(.+?)»", sources, re.DOTALL)]
    assert marked, sources
    said = " ".join(answer.split())
    for sentence in marked:  # each marked sentence is one the answer quotes, word for word
        assert sentence in said
    assert any("Barclay" in s for s in marked)


def test_serve_without_a_corpus_folder_serves_the_index(tmp_path, seed_settings):
    from gradio_client import Client

    index = shutil.copytree(seed_settings.index_dir, tmp_path / "index")
    port = free_port()
    server = run_in(tmp_path, "serve", "--port", str(port), "--index", str(index))
    try:
        lines = []
        for line in server.stderr:  # the server says what it serves, then that it is ready
            lines.append(line)
            if "chat ready at" in line:
                break
        assert server.poll() is None, "".join(lines)
        assert any("no corpus folder (corpus): serving the index" in line for line in lines), lines
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        assert "Barclay" in client.predict(BARCLAY, api_name="/ask")["answer"]
        assert not (tmp_path / "corpus").exists()
    finally:
        stop_server(server)


def test_serve_with_neither_corpus_nor_index_says_so(tmp_path):
    _, err = run_in(tmp_path, "serve", "--port", str(free_port())).communicate(timeout=120)
    assert len(err.splitlines()) == 1 and err.startswith("rag: no corpus folder (corpus) and no index in index"), err


@pytest.mark.parametrize("argv", [["-v", "eval", "q.jsonl"], ["eval", "-v", "q.jsonl"], ["eval", "q.jsonl"]])
def test_verbose_holds_before_or_after_the_eval_command(argv):
    # argparse lets a subcommand's defaults overwrite what was parsed before it: "rag -v eval" once logged nothing.
    assert _parser().parse_args(argv).verbose is ("-v" in argv)
