"""The chat server through its public API, with gradio_client: answers, citations, refusals, filters, sessions."""

from __future__ import annotations

import re

import pytest
from gradio_client import Client

from rag.ask.retrieve import Filters
from rag.index.vector_store import Record, admits

MARKER = re.compile(r"\[(\d+)\]")
KEYS = {"question", "answer", "refused", "citations", "notes", "answerer", "unsupported", "confidence"}
CITATION_KEYS = {"n", "article_id", "title", "publisher", "date", "url", "dispute", "facets", "text", "start", "end",
                 "score", "quotes"}


@pytest.fixture(scope="module")
def client(ui_server) -> Client:
    return Client(ui_server.url, verbose=False)


def chat(client: Client, question: str, disputes=(), publishers=(), date_from="", date_to="", k=5):
    """Ask through the chat endpoint; returns (messages as [(role, text)], sources panel HTML)."""
    messages, sources, _ = client.predict(question, list(disputes), list(publishers), date_from, date_to, k,
                                          api_name="/chat")
    return [(m["role"], " ".join(part["text"] for part in m["content"])) for m in messages], sources


def check_citations(result: dict, server) -> None:
    """Every marker has a citation, and every citation points at exact text in its article."""
    assert set(result) == KEYS
    numbers = {int(n) for n in MARKER.findall(result["answer"])}
    assert numbers == {c["n"] for c in result["citations"]}
    articles = server.service.assistant.index.articles
    for c in result["citations"]:
        assert set(c) == CITATION_KEYS
        article = articles[c["article_id"]]
        assert article.text[c["start"] : c["end"]] == c["text"]
        assert c["title"] == article.title and c["dispute"] == article.dispute
        assert c["quotes"], "each citation names the sentences it supports"
        for start, end in c["quotes"]:
            assert c["start"] <= start < end <= c["end"]
            assert article.text[start:end].strip() in result["answer"]


def test_ask_answers_with_citations(client, ui_server):
    result = client.predict("Who invited the BMA to pay talks in 2023?", [], {}, None, api_name="/ask")
    assert not result["refused"]
    assert "Barclay" in result["answer"] and "[1]" in result["answer"]
    check_citations(result, ui_server)
    assert result["citations"][0]["dispute"] == "2023 pay"


def test_ask_matches_the_assistant(client, ui_server):
    """The API returns exactly what `rag ask --json` prints (Answer.as_dict) for the same question."""
    question = "What pay rise did the Government offer junior doctors?"
    result = client.predict(question, api_name="/ask")
    assert result == ui_server.service.ask(question).as_dict()
    assert "11 per cent" in result["answer"]
    check_citations(result, ui_server)


def test_refusal_is_said_not_empty(client):
    result = client.predict("What is the weather in Paris?", api_name="/ask")
    assert result["refused"] and result["citations"] == []
    assert result["answer"].startswith("The articles don't cover this")
    messages, sources = chat(client, "What is the weather in Paris?")
    role, text = messages[-1]
    assert role == "assistant" and "No answer:" in text and "The articles don" in text
    assert "cites no passage" in sources


def test_a_question_about_the_collection_lists_the_articles(client, ui_server):
    result = client.predict("Which articles are from 2016?", api_name="/ask")
    articles = ui_server.service.assistant.index.articles.values()
    assert result["answerer"] == "collection" and not result["refused"]
    assert len(result["citations"]) == sum((a.date or "").startswith("2016") for a in articles)
    by_id = ui_server.service.assistant.index.articles
    for c in result["citations"]:  # each opens its article's first passage; it quotes no sentence
        assert by_id[c["article_id"]].text[c["start"]:c["end"]] == c["text"] and c["date"].startswith("2016")
        assert f'[{c["n"]}]' in result["answer"] and c["title"] in result["answer"]
    messages, sources = chat(client, "Which articles are from 2016?")
    text = messages[-1][1]
    assert text.count("<br>") == len(result["citations"])  # one line each, under the heading
    assert all('href="#src-' in line for line in text.split("<br>")[1:])


def test_an_open_comparison_shows_a_line_per_side(client, ui_server):
    result = client.predict("Compare the 2016 and 2023 disputes", api_name="/ask")
    assert result["answerer"] == "overview" and not result["refused"]
    assert {c["date"][:4] for c in result["citations"]} == {"2016", "2023"}
    messages, _ = chat(client, "Compare the 2016 and 2023 disputes")
    lines = messages[-1][1].split("<br>")
    assert len(lines) == 3 and lines[1].startswith("2016:") and lines[2].startswith("2023:")
    assert all(line.count('href="#src-') == 2 for line in lines[1:])


def test_what_happened_on_a_day_shows_that_days_article(client, ui_server):
    result = client.predict("What happened on January 12, 2016?", api_name="/ask")
    assert result["answerer"] == "period" and not result["refused"]
    assert {c["date"] for c in result["citations"]} == {"2016-01-12"}
    check_citations(result, ui_server)


def test_dispute_filter_only_cites_that_dispute(client, ui_server):
    question = "How many operations were rescheduled during the strike?"
    unfiltered = client.predict(question, [], {}, None, api_name="/ask")
    assert any(c["dispute"] == "2016 contract" for c in unfiltered["citations"])
    result = client.predict(question, [], {"disputes": ["2023 pay"]}, None, api_name="/ask")
    assert result["citations"] and {c["dispute"] for c in result["citations"]} == {"2023 pay"}
    check_citations(result, ui_server)
    _, sources = chat(client, question, disputes=["2023 pay"])
    newest = sources.rsplit('<div class="turn"', 1)[1]  # the panel holds this session's earlier answers too
    assert "2023 pay" in newest and "2016 contract" not in newest


def test_publisher_and_date_filters(client):
    result = client.predict("Why are junior doctors striking?", [], {"publishers": ["The Independent"]}, 5,
                            api_name="/ask")
    assert {c["publisher"] for c in result["citations"]} == {"The Independent"}
    result = client.predict("Why are junior doctors striking?", [], {"date_from": "2023-01-01"}, 5, api_name="/ask")
    assert result["citations"] and all(c["date"] >= "2023" for c in result["citations"])
    admitted = Filters(date_to="2016-01-31")
    result = client.predict("Why are junior doctors striking?", [], {"date_to": "2016-01-31"}, 5, api_name="/ask")
    assert all(admits(admitted.for_store(), Record("", c["article_id"], c["publisher"] or "", c["date"] or ""))
               for c in result["citations"])


def test_k_limits_the_passages(client):
    result = client.predict("How long was the strike in March 2023?", [], {}, 1, api_name="/ask")
    assert len(result["citations"]) <= 1


def test_bad_input_gets_a_readable_message(client):
    with pytest.raises(Exception, match="is not a date"):
        client.predict("Who is the health secretary?", [], {"date_from": "last week"}, None, api_name="/ask")
    with pytest.raises(Exception, match="Unknown filter 'colour'"):
        client.predict("Who is the health secretary?", [], {"colour": "red"}, None, api_name="/ask")
    with pytest.raises(Exception, match="history must be a list"):
        client.predict("Who is the health secretary?", [{"speaker": "me"}], {}, None, api_name="/ask")
    messages, _ = chat(client, "   ")
    assert messages[-1] == ("assistant", messages[-1][1]) and "Please type a question" in messages[-1][1]
    messages, _ = chat(client, "Who is the health secretary?", date_from="2023-13-01")
    assert "is not a date" in messages[-1][1] and "Traceback" not in messages[-1][1]


def test_each_session_keeps_its_own_history(ui_server):
    alice, bob = Client(ui_server.url, verbose=False), Client(ui_server.url, verbose=False)
    chat(alice, "What did Jeremy Hunt say about the strike?")
    bob_messages, _ = chat(bob, "What is full pay restoration?")
    alice_messages, _ = chat(alice, "What did he say next?")
    assert [t for r, t in alice_messages if r == "user"] == ["What did Jeremy Hunt say about the strike?",
                                                             "What did he say next?"]
    assert [t for r, t in bob_messages if r == "user"] == ["What is full pay restoration?"]
    assert len(alice_messages) == 4 and all(t.strip() for _, t in alice_messages)
    assert not any("pay restoration" in t for _, t in alice_messages)


def test_follow_up_through_the_api_uses_history(client, ui_server):
    first = client.predict("Who invited the BMA to pay talks in 2023?", api_name="/ask")
    history = [{"role": "user", "content": first["question"]}, {"role": "assistant", "content": first["answer"]}]
    question = "What did he invite them to?"
    result = client.predict(question, history, {}, None, api_name="/ask")
    assert result == ui_server.service.ask(question, history).as_dict()
    assert not result["refused"]
    check_citations(result, ui_server)


def test_long_question_is_cut_with_a_note(client, ui_server):
    limit = ui_server.settings.max_question_chars
    question = "What pay rise did the Government offer junior doctors? " + "Please explain. " * (limit // 16)
    result = client.predict(question, api_name="/ask")
    assert result["notes"] == [f"Your question was cut to its first {limit} characters."]
    messages, _ = chat(client, question)
    assert "Note: Your question was cut" in messages[-1][1]


def test_page_carries_a_content_security_policy(ui_server):
    import httpx

    page = httpx.get(ui_server.url)
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([\w-]+)'", policy).group(1)
    for directive in ("default-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'", "object-src 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    tags = re.findall(r"<script\b[^>]*>", page.text)
    assert tags and all(f'nonce="{nonce}"' in tag for tag in tags)
    assert httpx.get(ui_server.url).headers["content-security-policy"] != policy  # a fresh nonce per page


def test_many_sessions_at_once(ui_server):
    """Questions from several clients at the same time all get their own, correct answers."""
    from concurrent.futures import ThreadPoolExecutor

    expected = {"Who invited the BMA to pay talks in 2023?": "Barclay", "What is full pay restoration?": "35%",
                "What pay rise did the Government offer junior doctors?": "11 per cent",
                "What is the weather in Paris?": "don't cover"}
    clients = [Client(ui_server.url, verbose=False) for _ in expected]
    with ThreadPoolExecutor(len(expected)) as pool:
        results = list(pool.map(lambda cq: cq[0].predict(cq[1], api_name="/ask"), zip(clients, expected)))
    for (question, words), result in zip(expected.items(), results):
        assert result["question"] == question and words in result["answer"]
        if not result["refused"]:
            check_citations(result, ui_server)


def test_chat_and_ask_take_the_question_alone(ui_server):
    """Every parameter after the question has a default, on both endpoints."""
    client = Client(ui_server.url, verbose=False)
    for name in ("/chat", "/ask"):
        parameters = client.view_api(return_format="dict", print_info=False)["named_endpoints"][name]["parameters"]
        assert [p["parameter_has_default"] for p in parameters] == [False] + [True] * (len(parameters) - 1), name
    messages, sources, _ = client.predict("Who invited the BMA to pay talks in 2023?", api_name="/chat")
    text = " ".join(part["text"] for part in messages[-1]["content"])
    assert messages[-1]["role"] == "assistant" and "Barclay" in text and 'href="#src-1-1"' in text
    assert 'id="src-1-1"' in sources
    result = client.predict("Who invited the BMA to pay talks in 2023?", api_name="/ask")
    assert "Barclay" in result["answer"]
    check_citations(result, ui_server)
