"""The chat's layout and wiring: a Chat tab (chat, filters, sources panel) and an Articles tab.

Public API (see the page's "Use via API" link):

* ``/ask`` (question, history, filters, k) -> the ``rag ask --json`` object; documented in ``ui.chat.make_api``.
* ``/chat`` (question[, disputes, publishers, date_from, date_to, k, answerer]) -> the chat as displayed,
  streamed ("disputes": values of the corpus's first facet, see corpus.toml); the conversation is kept per
  session, so each client has its own, and a browser keeps its own
  across a reload (``gr.BrowserState``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from rag.errors import RagError, UsageError
from rag.ask.generate import ANSWERERS
from rag.messages import render
from ui import chat, conversation
from ui import html
from ui.articles import ALLOWED, Draft, refused_file
from ui.service import Service

log = logging.getLogger(__name__)

SCRIPT = (Path(__file__).parent / "page.js").read_text(encoding="utf-8")  # run by the page once loaded



def theme() -> gr.themes.Base:
    """Gradio's default look with the system's fonts: nothing to fetch, and every glyph present."""
    return gr.themes.Default(font=["system-ui", "Liberation Sans", "DejaVu Sans", "sans-serif"],
                             font_mono=["ui-monospace", "DejaVu Sans Mono", "monospace"])


CSS = """
#sources .sources { max-height: 78vh; overflow-y: auto; padding-right: .4em; }
#sources .empty, .note { opacity: .75; font-size: .9em; }
.source { border-left: 3px solid var(--color-accent); padding: .3em .8em; margin: 0 0 1em 0; }
.source:target { background: var(--color-accent-soft); }
.source h4 { margin: 0 0 .2em 0; }
.source .num { color: var(--color-accent); }
.source .meta { font-size: .85em; opacity: .8; margin: 0 0 .3em 0; }
.source blockquote { margin: .3em 0; white-space: pre-wrap; }
.source mark, .articles mark { background: #ffe066; color: #111; padding: 0 .1em; }
.source .in-context { background: rgba(255, 224, 102, .3); }
.source .article-text { white-space: pre-wrap; max-height: 40vh; overflow-y: auto; font-size: .9em; }
a.cite { font-weight: 600; text-decoration: none; color: var(--color-accent); }
#sources h3 { margin: 0 0 .5em 0; }
#sources .for { font-size: .85em; opacity: .75; margin: 0 0 .6em 0; }
/* Each answer's passages: the newest answer's are shown, or those of the answer whose marker was clicked
   (ui/page.js marks them; a new answer redraws the panel, which shows the newest again). */
#sources .turn { display: none; }
#sources .turn:last-child { display: block; }
#sources .opened .turn { display: none; }
#sources .opened .turn.shown { display: block; }
#a-refused, .copy-text { display: none; }
.answer.refused { font-style: italic; }
.answer.draft { opacity: .8; }
.answer .unsupported { text-decoration: underline wavy var(--error-text-color); cursor: help; }
.answer.problem { color: var(--error-text-color); }
.articles table { width: 100%; border-collapse: collapse; }
.articles th, .articles td { text-align: left; vertical-align: top; padding: .3em .5em;
  border-bottom: 1px solid var(--border-color-primary); }
.status.ok { color: var(--color-accent); }
.status.problem { color: var(--error-text-color); }
"""


def build(service: Service) -> gr.Blocks:
    s, corpus, facet = service.settings, service.config, service.facet()
    with gr.Blocks(title=corpus.title, analytics_enabled=False) as demo:
        session = gr.State(conversation.new_session())
        # The same conversation kept in this browser (localStorage), so a reload finds it again.
        saved = gr.BrowserState(conversation.new_session(), storage_key="rag-news-conversation")
        gr.HTML(f"<h1>{html.esc(corpus.title)}</h1><p>{html.esc(corpus.intro)}</p>", elem_id="intro")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(elem_id="chat", label="Chat", render_markdown=False, height=520,
                                             sanitize_html=True, feedback_options=None, buttons=["copy"],
                                             group_consecutive_messages=False)
                        with gr.Row():
                            question = gr.Textbox(elem_id="question", show_label=False, scale=5, lines=1,
                                                  max_lines=4, placeholder="Ask a question about the articles")
                            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                        if corpus.examples:
                            gr.Examples([[q] for q in corpus.examples], inputs=[question], label="Examples",
                                        elem_id="examples")
                        with gr.Accordion("Filters and passages", open=False, elem_id="filters"):
                            # The corpus's first facet; hidden when it has none (the /chat API keeps its place).
                            disputes = gr.CheckboxGroup(service.facet_values(), label=facet.label if facet else "",
                                                        visible=facet is not None, elem_id="f-dispute")
                            publishers = gr.Dropdown(service.publishers(), multiselect=True, label="Publisher",
                                                     elem_id="f-publisher")
                            with gr.Row():
                                date_from = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="f-from")
                                date_to = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="f-to")
                            k = gr.Slider(1, s.ui_max_k, value=s.top_k, step=1, label="Passages to use",
                                          elem_id="f-k")
                            answerer = gr.Dropdown(list(ANSWERERS), value=s.answerer, label="Answer with",
                                                   info="extractive quotes the articles; openai and local let a "
                                                        "language model write, with its citations checked",
                                                   elem_id="f-answerer")
                        clear = gr.Button("New conversation", variant="secondary", size="sm")
                    with gr.Column(scale=2):
                        sources = gr.HTML(html.sources_html(), elem_id="sources", label="Sources")
            with gr.Tab("Articles", id="articles-tab") as articles_tab:
                table = gr.HTML(elem_id="articles-table")
                with gr.Accordion("Add an article", open=True):
                    paste = gr.Textbox(lines=6, label="Paste the article's text", elem_id="a-text")
                    upload = gr.File(label=f"... or upload a file ({', '.join(sorted(set(ALLOWED.values())))}, "
                                           f"at most {s.max_upload_bytes / 2**20:.3g} MB)", height=140,
                                     file_types=list(ALLOWED), type="filepath", elem_id="a-file")
                    with gr.Row():
                        title = gr.Textbox(label="Title", elem_id="a-title")
                        publisher = gr.Textbox(label="Publisher", elem_id="a-publisher")
                        date = gr.Textbox(label="Date (YYYY-MM-DD)", elem_id="a-date")
                        dispute = gr.Dropdown([""] + service.facet_values(), value="",
                                              label=facet.label if facet else "", visible=facet is not None,
                                              allow_custom_value=True, elem_id="a-dispute")
                    # Why the page refused the file last chosen (too large, wrong type), set by ui/page.js: the
                    # server never sees such a file, and "Add" should say what happened to it.
                    refused = gr.Textbox(elem_id="a-refused", show_label=False, container=False)
                    add = gr.Button("Add article", variant="primary", elem_id="a-add")
                    added = gr.HTML(elem_id="a-status")
                with gr.Accordion("Remove an article", open=False):
                    choice = gr.Dropdown([], label="Article", elem_id="r-choice")
                    remove = gr.Button("Remove article", variant="stop", elem_id="r-remove")
                    removed = gr.HTML(elem_id="r-status")

        def ask(question, session, disputes=None, publishers=None, date_from=None, date_to=None, k=None,
                answerer=None):
            yield from chat.stream(service, question, session, disputes, publishers, date_from, date_to, k,
                                   answerer)

        gr.on([question.submit, send.click], ask,
              [question, session, disputes, publishers, date_from, date_to, k, answerer],
              [chatbot, sources, session, question], api_name="chat", concurrency_id="answer",
              concurrency_limit=s.ui_concurrency).then(lambda kept: kept, session, saved, api_visibility="private",
                                                       queue=False)
        gr.on([clear.click, chatbot.clear],
              lambda: ([], html.sources_html(), conversation.new_session(), conversation.new_session(), ""),
              None, [chatbot, sources, session, saved, question], api_visibility="private", queue=False)

        def reopen(kept):
            """The conversation this browser kept, drawn again with the index as it is now."""
            articles = service.assistant.index.articles
            session = conversation.restore(kept, articles)
            return (conversation.messages(session["log"], articles), conversation.panel(session["log"], articles),
                    session)

        demo.load(reopen, saved, [chatbot, sources, session], api_visibility="private")

        def listing(chosen_disputes=(), chosen_publishers=()):
            """The article table and remove list, and filter choices that keep what is still selectable."""
            articles, counts = service.articles()
            choices = [(f"{a.title} ({a.id})", a.id) for a in sorted(articles, key=lambda a: a.title.lower())]
            known_disputes, known_publishers = service.facet_values(), service.publishers()
            return (html.articles_html(articles, counts), gr.Dropdown(choices=choices, value=None),
                    gr.CheckboxGroup(choices=known_disputes,
                                     value=[d for d in chosen_disputes or () if d in known_disputes]),
                    gr.Dropdown(choices=known_publishers,
                                value=[p for p in chosen_publishers or () if p in known_publishers]))

        listed = [table, choice, disputes, publishers]
        demo.load(listing, None, listed, api_visibility="private")
        articles_tab.select(lambda: listing()[:2], None, [table, choice], api_visibility="private")
        keep = [disputes, publishers]
        unchanged = [gr.skip()] * len(listed)

        form = [paste, upload, title, publisher, date, dispute]
        kept_form = [gr.skip()] * len(form)

        def add_article(text, file, title, publisher, date, dispute, refused, *chosen):
            try:
                why = None if file or (text or "").strip() else refused_file(refused, s)
                if why:
                    raise UsageError(why)
                article, chunks = service.add(Draft(text, file, title, publisher, date, dispute))
            except RagError as e:
                problem = html.status_html(render("UI_ERROR", message=chat.public(e)), False)
                return problem, *unchanged, *kept_form, gr.skip()
            except Exception:
                log.exception("adding an article failed")
                return html.status_html(render("UI_UNEXPECTED"), False), *unchanged, *kept_form, gr.skip()
            message = render("ADD_DONE", title=article.title, chunks=chunks)
            # The form is emptied: the next article must not silently take this one's title, publisher or date.
            return html.status_html(message, True), *listing(*chosen), "", None, "", "", "", "", ""

        def add_and_forget(text, file, *rest):
            """An upload is read once: its temporary copy in Gradio's upload folder goes, added or refused."""
            try:
                return add_article(text, file, *rest)
            finally:
                if file:
                    Path(file).unlink(missing_ok=True)

        add.click(add_and_forget, [*form, refused, *keep], [added, *listed, *form, refused],
                  api_visibility="private", concurrency_id="corpus", concurrency_limit=1)

        def remove_article(article_id, *chosen):
            try:
                article = service.remove(article_id)
            except RagError as e:
                return html.status_html(render("UI_ERROR", message=chat.public(e)), False), *unchanged
            except Exception:
                log.exception("removing article %r failed", article_id)
                return html.status_html(render("UI_UNEXPECTED"), False), *unchanged
            return html.status_html(render("REMOVE_DONE", title=article.title), True), *listing(*chosen)

        remove.click(remove_article, [choice, *keep], [removed, *listed], api_visibility="private",
                     concurrency_id="corpus", concurrency_limit=1)

        gr.api(chat.make_api(service), api_name="ask", concurrency_id="answer", concurrency_limit=s.ui_concurrency)
    return demo
