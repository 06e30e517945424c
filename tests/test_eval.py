"""`rag eval` on outside question sets: the SQuAD and BEIR loaders, the metrics, and the command itself on a
tiny SQuAD file (a real index in a temporary cache, the real model, ablations, JSON report, chart)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, cli_env

from rag.ask.assistant import Assistant
from rag.eval.datasets import load_dataset
from rag.eval.setup import index_documents
from rag.eval.evaluate import Case, Result, evaluate, score
from rag.eval.metrics import refusal_reach
from rag.index.versions import load_index
from rag.settings import Settings
from rag.types import Answer, Chunk, Hit

LIGHTHOUSE = ["The Lighthouse of Alexandria was built by the Ptolemaic Kingdom. It stood on the island of Pharos.",
              "An earthquake damaged the lighthouse in 956. Later earthquakes left it a ruin."]
BEES = ["A honey bee colony has one queen and tens of thousands of workers. Worker bees build the comb from wax. "
        "Bees show one another where flowers are with the waggle dance."]


def qa(qid: str, question: str, *answers: str) -> dict:
    gold = [{"text": a, "answer_start": 0} for a in answers]
    return {"id": qid, "question": question, "answers": gold, "is_impossible": not answers}


SQUAD = {"version": "v2.0", "data": [
    {"title": "Lighthouse_of_Alexandria", "paragraphs": [
        {"context": LIGHTHOUSE[0], "qas": [
            qa("l1", "On which island did the Lighthouse of Alexandria stand?", "Pharos", "Pharos", "island of Pharos"),
            qa("l2", "Who painted the Lighthouse of Alexandria in 1850?")]},
        {"context": LIGHTHOUSE[1], "qas": [qa("l3", "When did an earthquake damage the lighthouse?", "956")]}]},
    {"title": "Honey_bee", "paragraphs": [
        {"context": BEES[0], "qas": [
            qa("b1", "How do bees tell each other where flowers are?", "waggle dance"),
            qa("b2", "What do worker bees build the comb from?", "wax"),
            qa("b3", "How many queens did Napoleon keep in 1805?")]}]},
]}
CONFIGS = ["hybrid+extractive", "hybrid+lead", "dense+bm25+extractive", "dense+bm25+lead", "dense+extractive",
           "dense+lead", "bm25+extractive", "bm25+lead"]


@pytest.fixture(scope="module")
def squad_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("squad") / "tiny-squad.json"
    path.write_text(json.dumps(SQUAD))
    return path


@pytest.fixture(scope="module")
def beir_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("beir")
    (folder / "qrels").mkdir()
    docs = [{"_id": "d1", "title": "Lighthouse", "text": LIGHTHOUSE[0]},
            {"_id": "d2", "title": "", "text": LIGHTHOUSE[1]}, {"_id": "d3", "title": "Honey bee", "text": BEES[0]}]
    queries = [{"_id": "q1", "text": "Which island was the lighthouse on?"},
               {"_id": "q2", "text": "What do bees build combs from?"}, {"_id": "q3", "text": "Not judged"}]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t1\nq1\td3\t0\n"
                                               "q2\td3\t1\n")
    return folder


def run_eval(tmp_path, *args: str) -> subprocess.Popen:
    """`rag eval ARGS` with its index cache in ``tmp_path`` (the cache lives in the temp folder)."""
    env = dict(cli_env(), TMPDIR=str(tmp_path))
    return subprocess.Popen([sys.executable, "-m", "rag", "eval", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def runs(squad_file, tmp_path_factory):
    """Two runs of the command on the tiny SQuAD file, started together so their model loads overlap."""
    out = tmp_path_factory.mktemp("out")
    procs = {
        "plain": run_eval(tmp_path_factory.mktemp("cache"), str(squad_file), "--corpus"),
        "ablations": run_eval(tmp_path_factory.mktemp("cache"), str(squad_file), "--corpus", "--ablations",
                              "--json", str(out / "report.json"), "--plot", str(out / "chart.png")),
    }
    done = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=240)
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return done, out


def test_squad_file_becomes_one_document_per_article_and_a_case_per_question(squad_file):
    data = load_dataset(squad_file)
    assert data.format == "squad"
    assert [d["id"] for d in data.documents] == ["Lighthouse_of_Alexandria", "Honey_bee"]
    assert data.documents[0]["title"] == "Lighthouse of Alexandria"
    assert data.documents[0]["text"] == "\n\n".join(LIGHTHOUSE)
    assert [c.id for c in data.cases] == ["l1", "l2", "l3", "b1", "b2", "b3"]
    assert data.cases[0].answers == ("Pharos", "island of Pharos")  # repeats of an answer collapse
    assert [c.refuse for c in data.cases] == [False, True, False, False, False, True]
    assert all(c.answers == () for c in data.cases if c.refuse)


def test_a_squad_file_of_unanswerable_questions_alone_is_reported(tmp_path):
    # Nothing to find, so no hit@k: the reference table shows "-" where it once failed to format None.
    only = {"version": "v2.0", "data": [{"title": "Honey_bee", "paragraphs": [
        {"context": BEES[0], "qas": [qa("b3", "How many queens did Napoleon keep in 1805?")]}]}]}
    path = tmp_path / "unanswerable.json"
    path.write_text(json.dumps(only))
    proc = run_eval(tmp_path, str(path), "--corpus")
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr
    assert "retrieval at equal text" in stdout


def test_beir_folder_gives_judged_queries_with_graded_documents(beir_folder):
    data = load_dataset(beir_folder)
    assert data.format == "beir"
    assert [d["id"] for d in data.documents] == ["d1", "d2", "d3"]
    assert [(c.id, c.question, c.gold_docs) for c in data.cases] == [
        ("q1", "Which island was the lighthouse on?", (("d1", 2), ("d2", 1))),
        ("q2", "What do bees build combs from?", (("d3", 1),)),
    ]


def test_question_file_is_recognised():
    data = load_dataset(ROOT / "tests" / "data" / "questions.jsonl")
    assert data.format == "questions" and not data.documents and len(data.cases) >= 40


def test_answers_all_may_be_spread_over_the_first_passages():
    case = Case("Who and where?", answers_all=("Hunt", "Acas"))
    ranking = [Hit(Chunk(f"a#{n}", "a", text, 0, len(text), ()), 1.0)
               for n, text in enumerate(["Nothing here.", "Jeremy Hunt spoke.", "Talks at Acas."])]
    result = score(case, Answer(case.question, "Talks at Acas. [1]", refused=False), {"answer": 0.1}, ranking)
    assert result.rank == 3 and not result.in_answer and result.seconds == 0.1


def test_beir_evaluation_ranks_documents_in_a_cached_index(beir_folder, embedder, tmp_path):
    data = load_dataset(beir_folder)
    settings = index_documents(data.documents, Settings(), embedder, tmp_path)
    summary = evaluate(Assistant(settings, load_index(settings), embedder), data.cases).summary()
    assert summary["hit@5"] == 1.0 and 0.5 < summary["ndcg@10"] <= 1.0
    assert summary["grounded"] is None  # no gold strings: answers are judged by the documents they cite
    assert index_documents(data.documents, Settings(), embedder, tmp_path).index_dir == settings.index_dir


def test_eval_builds_an_index_and_prints_the_table(runs):
    done, _ = runs
    run = done["plain"]
    assert run.returncode == 0, run.stderr
    quality = run.stdout.split("\n\n")[0].splitlines()
    header = quality[1].split()
    assert header[:4] == ["questions", "hit@1", "hit@3", "hit@5"] and "grounded" in header
    rows = {line.split()[0]: line.split() for line in quality[2:]}
    assert rows["all"][1] == "6" and {"answerable", "unanswerable"} <= set(rows)
    assert "LlamaIndex, 1024-token chunks" in run.stdout  # SQuAD is compared with the reference pipelines
    assert "Traceback" not in run.stderr


def test_ablations_print_one_row_per_configuration(runs):
    done, _ = runs
    run = done["ablations"]
    assert run.returncode == 0, run.stderr
    quality = run.stdout.split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in quality[2:]] == CONFIGS


def test_json_report_holds_every_metric(runs):
    _, out = runs
    report = json.loads((out / "report.json").read_text())
    assert report["dataset"]["format"] == "squad" and report["dataset"]["articles"] == 2
    assert list(report["configurations"]) == CONFIGS
    summary = report["configurations"]["hybrid+extractive"]["summary"]
    keys = {"hit@1", "hit@3", "hit@5", "mrr@1", "mrr@3", "mrr@5", "grounded", "in_answer", "in_citation",
            "citation_precision", "refused", "false_refusals", "answer_words_mean", "tokens@5",
            "ms_embed_p50", "ms_search_p95", "ms_fuse_p50", "ms_answer_p95"}
    assert keys <= set(summary) and summary == report["summary"]
    assert summary["hit@5"] == 1.0 and summary["refused"] is not None
    assert report["configurations"]["hybrid+lead"]["summary"]["refused"] == 0.0  # the baseline never refuses
    assert len(report["questions"]) == 6


def test_plot_writes_a_png(runs):
    _, out = runs
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_squad_refuses_a_corpus_folder(squad_file):
    run = subprocess.run([sys.executable, "-m", "rag", "eval", str(squad_file), "--corpus", "corpus"],
                         capture_output=True, text=True, cwd=ROOT, env=cli_env(), timeout=60)
    assert run.returncode == 2 and "brings its own documents" in run.stderr


def test_a_question_file_asks_the_articles_a_squad_file_brings(squad_file, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "w1", "question": "What dance do bees use to show where flowers are?",
                                     "answers": ["waggle dance"], "refuse": False, "kind": "vague"}) + "\n")
    proc = run_eval(tmp_path, str(questions), "--corpus", str(squad_file), "--answerer", "extractive",
                    "--json", str(tmp_path / "report.json"))
    _, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["dataset"]["format"] == "questions" and report["summary"]["grounded"] == 1.0


def test_refusal_reach_uses_the_best_threshold_within_the_false_refusal_budget():
    def result(confidence, refuse):
        answer = Answer("q", "a", refused=confidence is None or confidence < 0.3, confidence=confidence)
        return Result(Case("q", ("a",), refuse=refuse), answer, {})

    answerable = [result(c / 100, False) for c in range(40, 100)] + [result(None, False)]  # 61 questions
    unanswerable = [result(c, True) for c in (0.1, 0.35, 0.45, 0.9)]
    # At most 5% of 61 may be refused: the unknown-name refusal and two more; the bar lands at 0.42.
    assert refusal_reach(answerable, unanswerable) == 0.5
