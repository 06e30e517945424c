"""Every piece of text the assistant says to a person, in one place, with named placeholders.

Model prompts live apart, in ``rag/ask/prompts.py``. ``tests/test_prompts.py`` checks that each template's
placeholders are exactly the ones the code fills in.

>>> render("QUESTION_CUT", limit=1000)
'Your question was cut to its first 1000 characters.'
"""

from __future__ import annotations

import string
from typing import Mapping

TEMPLATES: dict[str, str] = {
    # Shown instead of an answer when no passage supports one.
    "REFUSAL": "The articles don't cover this. Try rephrasing, or ask about something the articles report.",
    # Shown when the question names someone or something that no article mentions.
    "REFUSAL_UNKNOWN": "The articles don't cover this: none of them mentions {terms}.",
    # A question joining things that no passage found mentions together ("What did X say about Y?").
    "REFUSAL_APART": "The articles mention {terms}, but no passage found speaks of them together.",
    # A question stating a figure that no passage found gives ("a population of 3,792,261").
    "REFUSAL_FIGURE": "The articles don't cover this: no passage found gives the figure {figures}.",
    # A "when", "how long" or "how many" question whose best-matching sentences give no time, length or figure.
    "REFUSAL_KIND": "The articles don't cover this: the passages that best match it give no {kind}.",
    # Note added when an over-long question is shortened.
    "QUESTION_CUT": "Your question was cut to its first {limit} characters.",
    # Note on a question word read as the articles' word it misspells (rag/ask/spelling.py): "“Malawanna” as
    # “Malawana”", several joined by commas.
    "SPELLING": "Read {fixes}, as the articles spell it.",
    # One word so read, in that note.
    "SPELLING_FIX": "“{typed}” as “{read}”",
    # Note on a question asking for the latest news: read as asking about the newest articles' year.
    "LATEST": "Read “latest” as {year}, the year of the newest articles.",
    # Note on a clipped follow-up ("And the Labour party?") read as the earlier question it clips
    # (rag/ask/ellipsis.py).
    "READ_AS": "Read as “{question}”, after your earlier question.",
    # A question about the collection itself ("What articles do you have?", rag/ask/collection.py): the list's
    # heading when it holds every article, then when the question or the chat's filters narrow it.
    "COLLECTION_ALL": "The collection holds {count} articles, newest first:",
    "COLLECTION_SOME": "Articles matching {terms}: {count} of {total}, newest first:",
    "COLLECTION_NONE": "None of the {total} articles matches {terms}.",
    # A question asking which articles mention something ("Which articles mention Hunt?").
    "COLLECTION_MENTION": "Articles mentioning {terms}: {count} of {total}, newest first:",
    "COLLECTION_MENTION_NONE": "None of the {total} articles mentions {terms}.",
    # After what is mentioned, the years the question names: "“Hunt” in 2016".
    "COLLECTION_IN": " in {years}",
    # What narrows the list when the question names nothing.
    "COLLECTION_FILTERS": "the chat's filters",
    # One article of the list, cited to its opening passage.
    "COLLECTION_LINE": "“{title}” ({publisher}, {date}) [{n}]",
    "COLLECTION_NO_PUBLISHER": "publisher unknown",
    "COLLECTION_NO_DATE": "undated",
    # Under a list cut short.
    "COLLECTION_MORE": "… and {more} more (the chat's Articles tab lists them all).",
    # An open comparison (rag/ask/overview.py): what each side's articles open with, a line per side.
    "OVERVIEW_HEAD": "Side by side, from each one's opening lines (ask about one thing to compare it closely):",
    "OVERVIEW_SIDE": "{side}: {text}",
    # A side named by a facet of the corpus: "2016 contract dispute".
    "OVERVIEW_FACET": "{value} {name}",
    # What happened in a period (rag/ask/period.py): the opening lines of the articles published then.
    "PERIOD_HEAD": "What the articles published {when} open with (ask about one thing for more):",
    "PERIOD_ARTICLE": "{title} ({date}): {text}",
    "PERIOD_ARTICLE_UNDATED": "{title}: {text}",
    # The gist of the whole collection ("Summarise the articles"), no period named.
    "DIGEST_HEAD": "What {whose} open with{order} ({shown} of {total}; ask about one thing for more):",
    # Said of a digest only when its articles have dates.
    "DIGEST_OLDEST": ", oldest first",
    "DIGEST_ALL": "the articles",
    # The one article a question asks the gist of ("Summarise the article about the Gaza doctors").
    "ARTICLE_HEAD": "What the article most like your question opens with (ask about one thing for more):",
    # The articles of the publishers a question names ("What did the Independent report?").
    "DIGEST_BY": "the articles of {publishers}",
    # The product's replies to what is not a question (rag/ask/small_talk.py): a greeting, thanks, a call for help.
    "SMALL_TALK_HELLO": "Hello. Ask me about the {count} articles in this collection: every answer quotes them, "
                        "with numbered citations that open the passage.",
    "SMALL_TALK_THANKS": "You're welcome. Ask another question whenever you like.",
    "SMALL_TALK_HELP": "I answer questions about the {count} articles in this collection from what they say, and "
                       "every answer cites the passages it rests on, each with its number. Ask who said what, "
                       "what happened, when, how many or why; “What articles do you have?” lists them, and "
                       "“Summarise the articles” tells what each opens with. What the articles don't say, I "
                       "don't answer.",
    # What an abbreviation stands for, as an article spells it out (rag/ask/glossary.py), cited to that sentence.
    "GLOSSARY": "“{short}” stands for “{long}” [1].",
    # Polite reply to an empty question.
    "EMPTY_QUESTION": "Please type a question about the articles.",
    # --- The web chat (ui/) and `rag serve` ---
    # Line under the chat's title when the corpus's corpus.toml gives none.
    "UI_INTRO": "Ask about the articles. Answers quote them; click a number to see its passage.",
    # Label before a refusal in the chat, so it reads as a refusal and never as an empty answer.
    "UI_REFUSED": "No answer:",
    # Over the quoted answer shown while the model reads the articles.
    "UI_PREVIEW": "Quoted from the articles while the model reads them:",
    # Shown while the model reads, when there is no quoted answer to show first.
    "UI_READING": "Reading the articles...",
    # A problem the user can fix (a RagError), shown in the chat or under the Articles form.
    "UI_ERROR": "That did not work: {message}",
    # A request for another host name than the chat is served on (DNS rebinding).
    "UI_WRONG_HOST": "This chat answers only at the address it is served on.",
    # Too many login attempts from one address.
    "UI_LOGIN_LIMIT": "Too many login attempts: wait a minute, then try again.",
    # Upload refusals: from another site's page; more than one file or too large; too many files a minute.
    "UI_UPLOAD_ORIGIN": "Uploads are accepted only from this chat's own page.",
    "UI_UPLOAD_ONE": "Upload one file of at most {limit} bytes at a time.",
    "UI_UPLOAD_LIMIT": "At most {files} files a minute may be uploaded: wait a minute, then try again.",
    # Any other failure; the traceback goes to the server log only.
    "UI_UNEXPECTED": "Something went wrong on the server (details are in its log). Please try again.",
    # Prefix of a note attached to an answer.
    "UI_NOTE": "Note: {note}",
    # Heading of the sources panel.
    "UI_SOURCES": "Sources",
    # The sources panel before any question.
    "UI_SOURCES_EMPTY": "The passages cited by the answers appear here.",
    # Above the passages of one answer in the sources panel.
    "UI_SOURCES_FOR": "Answer {turn}: {question}",
    # The sources panel after an answer that cites nothing.
    "UI_SOURCES_NONE": "This answer cites no passage.",
    # Summary that opens the full article under a cited passage.
    "UI_READ_ARTICLE": "Read the whole article, with this passage highlighted",
    # Metadata shown when an article does not state it.
    "UI_UNKNOWN_PUBLISHER": "publisher unknown",
    "UI_UNKNOWN_DATE": "date unknown",
    # Marks a metadata field that was guessed from the text.
    "UI_INFERRED": "{value} (inferred)",
    # Heading of the Articles tab's list.
    "UI_ARTICLE_COUNT": "{articles} articles, {chunks} passages in the index.",
    # A date filter or article date that is not an ISO date.
    "BAD_DATE": "'{value}' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY.",
    # A date range whose start is after its end.
    "DATE_ORDER": "The start date {start} is after the end date {end}.",
    # The API got a filter it does not know.
    "BAD_FILTER": "Unknown filter '{name}': use publishers, date_from, date_to, facets or disputes.",
    # The API got a filter whose value is not a list of names.
    "BAD_FILTER_VALUE": "disputes, publishers and each facet must be lists of names, e.g. [\"2023 pay\"]; facets an "
                        "object of such lists by facet name.",
    # The API got a history that is not a list of turns.
    "BAD_HISTORY": "The history must be a list of turns, each with a role ('user' or 'assistant') and a text "
                   "content.",
    # The API got a k outside the allowed range.
    "BAD_K": "k must be a whole number from 1 to {most}.",
    # Adding an article: nothing to add.
    "ADD_EMPTY": "Paste an article's text or choose a file to add.",
    # Adding an article: both a paste and a file.
    "ADD_BOTH": "Either paste the text or choose a file, not both.",
    # Adding an article: too large.
    "ADD_TOO_BIG": "That article is {size} bytes; the most the chat accepts is {limit} bytes.",
    # Adding an article: the page refused the chosen file before sending it (too large, or not a readable type).
    "ADD_REFUSED_SIZE": "{name} was not taken: it is {size} bytes, and the most the chat accepts is {limit} bytes. "
                        "Choose a smaller file or paste part of the text.",
    # Adding an article: the page refused the chosen file for its type.
    "ADD_REFUSED_TYPE": "{name} was not taken: only {types} files can be added.",
    # Adding an article: a file type the corpus cannot read.
    "ADD_TYPE": "Only {types} files can be added.",
    # Adding an article: not text.
    "ADD_NOT_UTF8": "That file is not UTF-8 text.",
    # Adding an article: the loader could not make an article of it.
    "ADD_UNREADABLE": "That article could not be read: {reason}.",
    # Adding an article failed on the server's disk (full, read-only); nothing was added.
    "ADD_DISK": "The article could not be saved on the server ({reason}); nothing was added.",
    # Why a write failed when the disk is full (a reason inside ADD_DISK and INDEX_WRITE).
    "DISK_FULL": "no space left on the disk holding {folder}",
    # Why a write failed otherwise (read-only, permissions).
    "DISK_ERROR": "{reason} in {folder}",
    # Writing a new index version failed; the one in use is untouched.
    "INDEX_WRITE": "could not write the index ({reason}); the previous index is unchanged",
    # Adding an article that is already there.
    "ADD_DUPLICATE": "That article is already in the corpus as \"{title}\".",
    # Adding an article worked.
    "ADD_DONE": "Added \"{title}\" ({chunks} passages). It can be asked about now.",
    # Removing: no choice made.
    "REMOVE_CHOOSE": "Choose an article to remove.",
    # Removing an article another session already removed.
    "REMOVE_GONE": "That article is no longer in the index.",
    # Removing the only article.
    "REMOVE_LAST": "The corpus needs at least one article: add another before removing this one.",
    # Removing an article the chat did not add (a seed article, a hand-placed file, a .jsonl line).
    "REMOVE_NOT_ADDED": "\"{title}\" was not added from the chat, so the chat does not remove it; its file is "
                        "in the corpus folder.",
    # Removing worked.
    "REMOVE_DONE": "Removed \"{title}\". Answers no longer use it.",
    # More questions are waiting than the chat takes (ui_queue_limit).
    "UI_BUSY": "The chat is busy answering other questions. Please try again in a few seconds.",
    # A raw API call naming a function the chat does not have (an unknown fn_index or endpoint name).
    "UI_NO_FUNCTION": "This chat has no such function: its API page (\"Use via API\" at the foot of the chat) "
                      "lists the calls it takes.",
    # `rag serve` bound to an address other machines can reach.
    "SERVE_EXPOSED": "warning: serving on {host}, which other machines may reach; the chat has no login. "
                     "Use --host 127.0.0.1 to keep it on this machine, or --auth USER:PASSWORD to require a login.",
    # `rag serve` bound to an address other machines can reach, with a login.
    "SERVE_EXPOSED_LOGIN": "warning: serving on {host}, which other machines may reach; a login is required. "
                           "Use --host 127.0.0.1 to keep it on this machine.",
    # A login setting that is not USER:PASSWORD.
    "BAD_LOGIN": "{source} must hold USER:PASSWORD (one per line in a file), with neither part empty.",
    # `rag serve` cannot listen where asked.
    "SERVE_PORT": "cannot serve on {host}:{port} ({reason}); pick another with --port",
    # `rag serve` is ready.
    "SERVE_READY": "chat ready at {url} (Ctrl+C to stop)",
    # Note: the model failed, so the quoted answer is shown.
    "LLM_FAILED": "The {answerer} model could not answer ({reason}), so this answer quotes the articles instead.",
    # Note: the model failed, and the quotes found no answer either.
    "LLM_FAILED_UNANSWERED": "The {answerer} model could not answer ({reason}), and no sentence of the articles "
                             "answers the question closely enough to quote.",
    # Note: none of the model's sentences was backed by the passage it cited.
    "LLM_UNSUPPORTED": "The model's answer was not backed by the passages it cited, so this answer quotes the "
                       "articles instead.",
    # Note: none of the model's sentences was backed, and the quotes found no answer either.
    "LLM_UNSUPPORTED_UNANSWERED": "The model's answer was not backed by the passages it cited, and no sentence of "
                                  "the articles answers the question closely enough to quote.",
    # Note: some sentences are not backed by their citations (the chat marks them; the CLI lists them).
    "LLM_FLAGGED": "Sentences not backed by the passages they cite: {count} of {total}.",
    # Note: the question asks for a date, figure, length of time or name; the model's answer gives none, the quotes do.
    "LLM_OFF_KIND": "The model's answer gave no {kind} where the question asks for one, so this answer quotes the "
                    "articles instead.",
    # Note: asked when something started (or ended), the model's answer told only when it ended (or started).
    "LLM_OTHER_END": "The model's answer told the other end of what the question asks about, its start or its end, so "
                     "this answer quotes the articles instead.",
    # Note: the model gave this conversation's earlier answer again, to another question.
    "LLM_SAID_AGAIN": "The model gave the answer it had already given, so this answer quotes the articles instead.",
    # Note: the question asks what someone said about something; the model's answer rests on nothing near it.
    "LLM_OFF_TOPIC": "The model's answer spoke of something other than what the question asks about, so this answer "
                     "quotes the articles instead.",
    # Note: asked what "he" or "she" said or did, the model's answer opened with someone the conversation never named.
    "LLM_OTHER_PERSON": "The model's answer spoke of someone other than who the conversation is about, so this "
                        "answer quotes the articles instead.",
    # Note: asked who or what a name is, the model doubted the excerpts say; the quotes show what they say of it.
    "LLM_UNSURE": "The model was not sure the articles say this, so this answer quotes what they say of it.",
    # Title of a sentence marked as unsupported in the chat, and the CLI's label for it.
    "UNSUPPORTED": "Not backed by the cited passages",
    # `rag ask` after streaming a model's draft, when checking changed it (markers renumbered, dropped).
    "CLI_CHECKED": "Checked answer:",
    # `rag ingest` without a folder where there is no corpus/ folder.
    "CLI_NO_CORPUS": "no {folder}/ folder here: rag ingest reads {folder}/ by default, or give the folder of "
                     "articles: rag ingest DIR",
    # `rag ingest --workers N` (or ingest_workers) without Ray installed.
    "RAY_MISSING": "spreading the embedding over workers needs Ray: pip install '.[distributed]' (or ray), "
                   "or ingest without --workers",
    # `rag ingest --workers N` could not start its private Ray cluster (Ray gives its processes 30 s; a machine
    # busy with other work can take longer).
    "RAY_START": "could not start Ray on this machine ({reason}); if the machine is busy, try again, or start Ray "
                 "yourself (ray start --head) and give --ray auto",
    # `rag ask` or `rag search` with -k below 1.
    "CLI_BAD_K": "-k must be 1 or more (got {k})",
    # `rag serve` with neither a corpus folder nor an index.
    "SERVE_NOTHING": "no corpus folder ({folder}) and no index in {index}: run `rag ingest DIR` first, or give "
                     "--corpus DIR",
    # `rag serve` of an index whose corpus folder is missing.
    "SERVE_INDEX_ONLY": "no corpus folder ({folder}): serving the index in {index} as it is; articles cannot be "
                        "added or removed",
    # Adding or removing an article while the chat serves an index without its corpus folder.
    "EDIT_NO_CORPUS": "Articles cannot be added or removed: the corpus folder {folder} is missing, so the chat "
                      "serves its index as it is.",
}

# The placeholders each template is rendered with; the test compares this with the templates themselves.
FIELDS: dict[str, frozenset[str]] = {
    "REFUSAL": frozenset(),
    "REFUSAL_UNKNOWN": frozenset({"terms"}),
    "REFUSAL_APART": frozenset({"terms"}),
    "REFUSAL_FIGURE": frozenset({"figures"}),
    "REFUSAL_KIND": frozenset({"kind"}),
    "QUESTION_CUT": frozenset({"limit"}),
    "SPELLING": frozenset({"fixes"}),
    "SPELLING_FIX": frozenset({"typed", "read"}),
    "LATEST": frozenset({"year"}),
    "READ_AS": frozenset({"question"}),
    "COLLECTION_ALL": frozenset({"count"}),
    "COLLECTION_SOME": frozenset({"count", "total", "terms"}),
    "COLLECTION_NONE": frozenset({"total", "terms"}),
    "COLLECTION_MENTION": frozenset({"count", "total", "terms"}),
    "COLLECTION_MENTION_NONE": frozenset({"total", "terms"}),
    "COLLECTION_IN": frozenset({"years"}),
    "COLLECTION_FILTERS": frozenset(),
    "COLLECTION_LINE": frozenset({"title", "publisher", "date", "n"}),
    "COLLECTION_NO_PUBLISHER": frozenset(),
    "COLLECTION_NO_DATE": frozenset(),
    "COLLECTION_MORE": frozenset({"more"}),
    "OVERVIEW_HEAD": frozenset(),
    "OVERVIEW_SIDE": frozenset({"side", "text"}),
    "OVERVIEW_FACET": frozenset({"value", "name"}),
    "PERIOD_HEAD": frozenset({"when"}),
    "ARTICLE_HEAD": frozenset(),
    "PERIOD_ARTICLE": frozenset({"title", "date", "text"}),
    "PERIOD_ARTICLE_UNDATED": frozenset({"title", "text"}),
    "DIGEST_HEAD": frozenset({"whose", "order", "shown", "total"}),
    "DIGEST_OLDEST": frozenset(),
    "DIGEST_ALL": frozenset(),
    "DIGEST_BY": frozenset({"publishers"}),
    "SMALL_TALK_HELLO": frozenset({"count"}),
    "SMALL_TALK_THANKS": frozenset(),
    "SMALL_TALK_HELP": frozenset({"count"}),
    "GLOSSARY": frozenset({"short", "long"}),
    "EMPTY_QUESTION": frozenset(),
    "UI_INTRO": frozenset(),
    "UI_REFUSED": frozenset(),
    "UI_PREVIEW": frozenset(),
    "UI_READING": frozenset(),
    "UI_ERROR": frozenset({"message"}),
    "UI_UNEXPECTED": frozenset(),
    "UI_WRONG_HOST": frozenset(),
    "UI_LOGIN_LIMIT": frozenset(),
    "UI_UPLOAD_ORIGIN": frozenset(),
    "UI_UPLOAD_ONE": frozenset({"limit"}),
    "UI_UPLOAD_LIMIT": frozenset({"files"}),
    "UI_NOTE": frozenset({"note"}),
    "UI_SOURCES": frozenset(),
    "UI_SOURCES_EMPTY": frozenset(),
    "UI_SOURCES_FOR": frozenset({"turn", "question"}),
    "UI_SOURCES_NONE": frozenset(),
    "UI_READ_ARTICLE": frozenset(),
    "UI_UNKNOWN_PUBLISHER": frozenset(),
    "UI_UNKNOWN_DATE": frozenset(),
    "UI_INFERRED": frozenset({"value"}),
    "UI_ARTICLE_COUNT": frozenset({"articles", "chunks"}),
    "BAD_DATE": frozenset({"value"}),
    "DATE_ORDER": frozenset({"start", "end"}),
    "BAD_FILTER": frozenset({"name"}),
    "BAD_HISTORY": frozenset(),
    "BAD_K": frozenset({"most"}),
    "BAD_FILTER_VALUE": frozenset(),
    "ADD_EMPTY": frozenset(),
    "ADD_BOTH": frozenset(),
    "ADD_TOO_BIG": frozenset({"size", "limit"}),
    "ADD_REFUSED_SIZE": frozenset({"name", "size", "limit"}),
    "ADD_REFUSED_TYPE": frozenset({"name", "types"}),
    "ADD_TYPE": frozenset({"types"}),
    "ADD_NOT_UTF8": frozenset(),
    "ADD_UNREADABLE": frozenset({"reason"}),
    "ADD_DISK": frozenset({"reason"}),
    "ADD_DUPLICATE": frozenset({"title"}),
    "DISK_FULL": frozenset({"folder"}),
    "DISK_ERROR": frozenset({"reason", "folder"}),
    "INDEX_WRITE": frozenset({"reason"}),
    "ADD_DONE": frozenset({"title", "chunks"}),
    "REMOVE_CHOOSE": frozenset(),
    "REMOVE_GONE": frozenset(),
    "REMOVE_LAST": frozenset(),
    "REMOVE_NOT_ADDED": frozenset({"title"}),
    "REMOVE_DONE": frozenset({"title"}),
    "UI_BUSY": frozenset(),
    "UI_NO_FUNCTION": frozenset(),
    "SERVE_EXPOSED": frozenset({"host"}),
    "SERVE_EXPOSED_LOGIN": frozenset({"host"}),
    "BAD_LOGIN": frozenset({"source"}),
    "SERVE_PORT": frozenset({"host", "port", "reason"}),
    "SERVE_READY": frozenset({"url"}),
    "LLM_FAILED": frozenset({"answerer", "reason"}),
    "LLM_FAILED_UNANSWERED": frozenset({"answerer", "reason"}),
    "LLM_UNSUPPORTED": frozenset(),
    "LLM_UNSUPPORTED_UNANSWERED": frozenset(),
    "LLM_FLAGGED": frozenset({"count", "total"}),
    "LLM_OFF_KIND": frozenset({"kind"}),
    "LLM_OFF_TOPIC": frozenset(),
    "LLM_OTHER_PERSON": frozenset(),
    "LLM_SAID_AGAIN": frozenset(),
    "LLM_OTHER_END": frozenset(),
    "LLM_UNSURE": frozenset(),
    "UNSUPPORTED": frozenset(),
    "CLI_CHECKED": frozenset(),
    "CLI_NO_CORPUS": frozenset({"folder"}),
    "RAY_MISSING": frozenset(),
    "RAY_START": frozenset({"reason"}),
    "CLI_BAD_K": frozenset({"k"}),
    "SERVE_NOTHING": frozenset({"folder", "index"}),
    "SERVE_INDEX_ONLY": frozenset({"folder", "index"}),
    "EDIT_NO_CORPUS": frozenset({"folder"}),
}

# The kinds of answer a question asks for (``rag.ask.question.expected_answer``), in the words of LLM_OFF_KIND.
ANSWER_KINDS: dict[str, str] = {"duration": "length of time", "date": "date", "share": "percentage",
                                 "money": "sum of money", "number": "figure", "name": "name"}


def placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def fill(templates: Mapping[str, str], fields: Mapping[str, frozenset[str]], name: str, values: dict) -> str:
    """Fill ``templates[name]`` with exactly the placeholders ``fields[name]``; values are never interpreted."""
    if set(values) != fields[name]:
        raise KeyError(f"template {name} takes {sorted(fields[name])}, got {sorted(values)}")
    return templates[name].format(**values)


def render(name: str, /, **values) -> str:
    """A user-facing message, filled in."""
    return fill(TEMPLATES, FIELDS, name, values)
