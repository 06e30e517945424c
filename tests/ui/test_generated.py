"""The chat with a generative answerer: the draft streams in, then the checked answer replaces it with its
unsupported sentence marked. The endpoint is a canned OpenAI-compatible stream, so the words are known."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the loopback servers

from llm_servers import CannedServer, sse_reply  # noqa: E402

from ui.chat import stream  # noqa: E402
from ui.service import Service  # noqa: E402

QUESTION = "Who invited the BMA to pay talks in 2023?"


def events(text: str) -> list[str]:
    words = text.split(" ")
    pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
    return [f"data: {json.dumps({'choices': [{'delta': {'content': p}, 'finish_reason': None}]})}" for p in pieces] + [
        'data: {"choices": [{"delta": {}, "finish_reason": "stop"}]}', "data: [DONE]"]


def test_chat_streams_a_generated_answer_and_marks_what_its_citations_do_not_back(ui_server, ui_embedder):
    settings = ui_server.settings
    first = Service(settings, ui_embedder)
    hits = first.assistant.search(QUESTION)
    text = first.assistant.index.articles[hits[0].chunk.article_id].text
    quote = next(text[a:b] for a, b in hits[0].chunk.sentences if len(text[a:b].split()) >= 8).rstrip(".")
    answer = f"{quote} [1]. The moon is made of <b>cheese</b> [1]."
    with CannedServer(sse_reply(*events(answer)), hold=False) as server:
        service = Service(settings.replace(llm_base_url=server.url), ui_embedder)
        updates = list(stream(service, QUESTION, None, [], [], "", "", 5, "openai"))
    drafts = [u[0][-1]["content"] for u in updates if 'class="answer draft"' in u[0][-1]["content"]]
    assert len(drafts) > 3 and "&lt;b&gt;cheese" in drafts[-1]  # token by token, escaped
    final, sources = updates[-1][0][-1]["content"], updates[-1][1]
    assert '<span class="unsupported" title="Not backed by the cited passages">The moon is made of' in final
    assert final.count('class="unsupported"') == 1 and "<b>" not in final
    assert "Sentences not backed by the passages they cite: 1 of 2" in final  # the note
    assert 'id="src-1-1"' in sources
