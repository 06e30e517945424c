"""Citation checking of generated text with the real model: markers to missing passages go, the rest are
renumbered in order of use, and sentences that their citations do not back are flagged."""

from __future__ import annotations

import re

import pytest

from rag.ask.check import Checker, citation_counts
from rag.ask.evidence import Excerpt
from rag.ask.evidence import passage
from rag.ask.reply import refuses
from rag.text.sentences import sentence_spans
from rag.types import Answer, Article, Chunk, Citation, Hit
from ui.html import answer_html



def one_passage(article_id: str, text: str, date: str) -> tuple[Hit, dict[str, Article]]:
    """An article that is one passage, titled by its first line: what a claim is checked against."""
    article = Article(article_id, text, text.split("\n", 1)[0], date=date)
    return Hit(Chunk(f"{article_id}#0", article_id, text, 0, len(text), tuple(sentence_spans(text))), 1.0), {
        article_id: article}


def backing(embedder, settings, article_id: str, text: str, date: str, question: str = ""):
    """A test of whether the check finds a claim (with its "[1]") backed by ``one_passage``'s article, as an
    answer to ``question``."""
    hit, articles = one_passage(article_id, text, date)
    checker = Checker(embedder, settings)
    return lambda claim: not checker.check(claim, [hit], articles, question=question).unsupported


@pytest.fixture(scope="module")
def setup(seed_settings, seed_index, embedder):
    from rag.ask.assistant import Assistant

    assistant = Assistant(seed_settings, seed_index, embedder)
    query = assistant.query("What rise in basic pay did the Government offer junior doctors?")
    hits = assistant.retrieve(query, k=3)
    return Checker(embedder, seed_settings), hits, seed_index.articles


def sentence_of(hit, articles, n=0) -> str:
    start, end = hit.chunk.sentences[n]
    return articles[hit.chunk.article_id].text[start:end]


def test_supported_sentences_are_renumbered_in_order_of_use(setup):
    checker, hits, articles = setup
    first, third = sentence_of(hits[0], articles), sentence_of(hits[2], articles)
    result = checker.check(f"{third.rstrip('.')} [3]. {first.rstrip('.')} [1].", hits, articles)
    assert result.cited == (2, 0) and result.unsupported == ()
    assert result.text.count("[1]") == 1 and result.text.index("[1]") < result.text.index("[2]")
    assert result.quotes[2] == (hits[2].chunk.sentences[0],)  # the passage sentence that backs it


def test_a_sentence_keeps_only_the_markers_of_the_passages_that_back_it(setup):
    checker, hits, articles = setup
    third = sentence_of(hits[2], articles)
    other = next(n for n, h in enumerate(hits) if h.chunk.article_id != hits[2].chunk.article_id)
    result = checker.check(f"{third.rstrip('.')} [{other + 1}] [3].", hits, articles)
    assert result.cited == (2,) and result.unsupported == ()
    assert "[1]" in result.text and result.text.count("[") == 1


def test_missing_passages_lose_their_markers_and_unbacked_sentences_are_flagged(setup):
    checker, hits, articles = setup
    quote = sentence_of(hits[0], articles).rstrip(".")
    text = f"{quote} [1][9]. The health secretary resigned in disgrace [7]. Penguins live in Antarctica [2]."
    result = checker.check(text, hits, articles)
    assert "[9]" not in result.text and "[7]" not in result.text
    assert result.cited == (0, 1)
    assert result.unsupported == ("The health secretary resigned in disgrace.", "Penguins live in Antarctica [2].")
    assert result.with_citation == 2


def test_a_changed_number_is_not_supported(setup, seed_index):
    checker, _, articles = setup
    hit, quote = next((Hit(c, 1.0), articles[c.article_id].text[a:b]) for c in seed_index.chunks
                      for a, b in c.sentences if re.search(r"\b\d\d\b", articles[c.article_id].text[a:b]))
    number = re.search(r"\b\d\d\b", quote).group(0)
    assert not checker.check(f"{quote} [1]", [hit], articles).unsupported
    changed = re.sub(rf"\b{number}\b", str(int(number) + 7), quote, count=1)
    assert checker.check(f"{changed} [1]", [hit], articles).unsupported


def test_citation_counts_of_an_extractive_answer(seed_settings, seed_index, embedder):
    from rag.ask.assistant import Assistant

    answer = Assistant(seed_settings, seed_index, embedder).ask("Who invited the BMA to pay talks in 2023?")
    sentences, cited, supported = citation_counts(answer, Checker(embedder, seed_settings))
    assert sentences >= 1 and sentences == cited == supported  # quotes always back themselves


def test_refusals_are_recognised():
    assert refuses("The passages don't say.") and refuses("the passages do not contain that information")
    assert not refuses("The offer was 11 per cent [1].")


def test_passage_text_is_quoted_data(seed_index):
    hit_chunk = seed_index.chunks[0]
    article = seed_index.articles[hit_chunk.article_id]
    text = passage(4, Excerpt(Hit(hit_chunk, 1.0), hit_chunk.sentences, hit_chunk.text), article)
    head, *lines = text.splitlines()
    assert head.startswith("[4] ") and seed_index.articles[hit_chunk.article_id].title in head
    assert lines and all(line.startswith("> ") for line in lines)


def test_unsupported_sentences_are_marked_in_the_chat(seed_index):
    chunk = seed_index.chunks[0]
    article = seed_index.articles[chunk.article_id]
    answer = Answer("Q?", "Talks resumed [1]. Doctors <b>won</b> [1].", (Citation(1, article, chunk, 1.0),),
                    answerer="openai", unsupported=("Doctors <b>won</b> [1].",))
    html = answer_html(answer)
    assert '<span class="unsupported" title="Not backed by the cited passages">Doctors &lt;b&gt;won&lt;/b&gt; ' in html
    assert html.count('class="unsupported"') == 1 and "<b>" not in html




def test_what_the_question_gave_is_not_a_claim(seed_settings, seed_index, embedder):
    # A model restates the question ("... in 2023") before the answer. The words it takes from the question, and
    # the year of the article's date, count as given; the answer itself must be the passage's. A month is a name
    # the passage must hold: read as given, it backed claims naming "March 2023" that carried other errors.
    from rag.ask.assistant import Assistant

    assistant = Assistant(seed_settings, seed_index, embedder)
    checker = Checker(embedder, seed_settings)
    question = "Which health secretary invited junior doctors to formal pay talks in March 2023?"
    hits = assistant.retrieve(assistant.query(question), k=3)
    restated = "The health secretary, Steve Barclay, invited junior doctors to formal pay talks in 2023 [1]."
    recited = checker.check(restated, hits, seed_index.articles, recite=True, question=question)
    assert not recited.unsupported, recited
    wrong = "The health secretary, Jeremy Hunt, invited junior doctors to formal pay talks in March 2024 [1]."
    assert checker.check(wrong, hits, seed_index.articles, recite=True, question=question).unsupported


def test_a_question_echoed_as_an_answer_is_not_supported(setup):
    # The 1.5B model once answered with the question itself: "The integer factorization problem essentially seeks
    # to determine if the value of of an input is less than what variable [1]?". Its words are all in the
    # passage and the question, so only its being a question tells it apart.
    checker, hits, articles = setup
    quote = sentence_of(hits[0], articles).rstrip(".")
    question = "What rise in basic pay did the Government offer junior doctors?"
    assert not checker.check(f"{quote} [1].", hits, articles, question=question).unsupported
    echoed = f"{quote}, and what rise in basic pay did the Government offer junior doctors [1]?"
    assert checker.check(echoed, hits, articles, question=question).unsupported


def test_words_put_in_another_partys_mouth_are_not_supported(setup):
    # The 1.5B model wrote "NHS Employers claims the new contract fails to protect ..." where the passage says
    # "The BMA claims ...": every word is in the passage, the claim's party is not in the sentence it restates.
    checker, _, articles = setup
    hit, quote = next((Hit(c, 1.0), articles[c.article_id].text[a:b]) for c in (h.chunk for h in setup[1])
                      for a, b in c.sentences if articles[c.article_id].text[a:b].startswith("The BMA claims"))
    assert not checker.check(f"{quote} [1]", [hit], articles).unsupported
    assert not checker.check(f"{quote.replace('The BMA', 'The British Medical Association')} [1]", [hit],
                             articles).unsupported
    swapped = quote.replace("The BMA claims", "NHS Employers claims")
    assert checker.check(f"{swapped} [1]", [hit], articles).unsupported


def test_a_people_or_place_the_passage_does_not_name_is_not_supported(setup):
    # Asked "What did the Scottish government offer junior doctors?", the 1.5B model wrote "The Scottish government
    # offered junior doctors an 11 per cent rise in basic pay [1]." of the UK Government's offer. "Scottish" is an
    # adjective, not a name, and it came from the question, so it counted as given; it must be placed near the
    # sentence restated (its place or a word sharing its first letters), as a name must stand there.
    checker, hits, articles = setup
    question = "What did the Scottish government offer junior doctors?"
    backed = "The Government points to its offer of an 11 per cent rise in basic pay [1]."
    assert not checker.check(backed, hits, articles, question=question).unsupported
    moved = "The Scottish government offered junior doctors an 11 per cent rise in basic pay [1]."
    assert checker.check(moved, hits, articles, question=question).unsupported


def test_a_subject_before_an_irregular_past_is_checked_too(seed_settings, seed_index, embedder):
    # Asked "What pay rise did the nurses get in 2023?", the 1.5B model wrote "The nurses got a 35% rise [1]." of
    # the doctors' demand. The subject rule found no subject before "got" (it knew only regular pasts), so the
    # nurses, taken from the question, passed as given.
    from rag.ask.assistant import Assistant

    assistant = Assistant(seed_settings, seed_index, embedder)
    question = "What pay rise did the nurses get in 2023?"
    hits = assistant.retrieve(assistant.query(question), k=3)
    checker = Checker(embedder, seed_settings)
    assert checker.check("The nurses got a 35% rise [1].", hits, seed_index.articles, recite=True,
                         question=question).unsupported
    restated = "Doctors were willing to keep striking until they got full pay restoration, a 35% rise [1]."
    assert not checker.check(restated, hits, seed_index.articles, recite=True, question=question).unsupported


def test_a_plain_subject_put_in_anothers_place_is_not_supported(setup, seed_index):
    # Asked "What did the government say about the strike in 2023?", the 1.5B model wrote "The government
    # expressed concern about the impact of the strikes ..." where the passage says "NHS England has expressed
    # concern ...": every other word is there, and "government" is no name for the names' rule to read.
    checker, _, articles = setup
    chunk, (a, b) = next((c, span) for c in seed_index.chunks for span in c.sentences
                         if articles[c.article_id].text[span[0]:span[1]].startswith("NHS England has expressed"))
    quote = articles[chunk.article_id].text[a:b]
    assert not checker.check(f"{quote} [1]", [Hit(chunk, 1.0)], articles).unsupported
    swapped = quote.replace("NHS England has expressed", "The government expressed")
    assert checker.check(f"{swapped} [1]", [Hit(chunk, 1.0)], articles).unsupported


def test_a_named_doer_put_in_anothers_place_is_not_supported(setup, seed_index):
    # Asked "What did Jeremy Hunt say about the strike?", the 1.5B model wrote "Jeremy Hunt condemned Hunt's
    # handling of the strike" where the passage says "Labour condemned Hunt's handling ...": every name of the
    # claim stands in that sentence, but as what was condemned, not who condemned it.
    checker, _, articles = setup
    chunk, (a, b) = next((c, span) for c in seed_index.chunks for span in c.sentences
                         if "Labour condemned" in articles[c.article_id].text[span[0]:span[1]])
    quote = articles[chunk.article_id].text[a:b]
    assert not checker.check(f"{quote} [1]", [Hit(chunk, 1.0)], articles).unsupported
    start = quote.index("Labour condemned")
    assert not checker.check(f"{quote[start:]} [1]", [Hit(chunk, 1.0)], articles).unsupported
    swapped = quote[start:].replace("Labour condemned", "Jeremy Hunt condemned")
    assert checker.check(f"{swapped} [1]", [Hit(chunk, 1.0)], articles).unsupported


def test_a_pronoun_is_no_named_doer():
    # A transcript's "Victoria Atkins: I have said that I will meet the BMA ..." restated as it stands was read as
    # "I" doing the saying, a capital sharing no word with "Victoria Atkins", and rejected (the kinds set's runs).
    from rag.ask.subject import doer_agrees

    line = "Victoria Atkins: I have said that I will meet the BMA as soon as the strikes are called off."
    assert doer_agrees(line, line)
    assert doer_agrees("Victoria Atkins said that she would meet the BMA.", line)
    assert not doer_agrees("Steve Barclay said that he would meet the BMA.", "Victoria Atkins said so.")


def test_a_tweet_is_given_to_who_tweeted_it():
    # "What did the BMA tweet?" was answered 'The BMA tweeted: "I've written to @BMA_JuniorDocs ..."', Barclay's
    # tweet: "tweeted" was not read as a verb of saying, so the claim named no speaker to compare.
    from rag.ask.subject import speaker_agrees

    line = 'In a tweet, Health Secretary Steve Barclay said: "I have written to @BMA_JuniorDocs inviting them."'
    assert not speaker_agrees('The BMA tweeted: "I have written to @BMA_JuniorDocs inviting them."', line)
    assert speaker_agrees('Steve Barclay tweeted: "I have written to @BMA_JuniorDocs inviting them."', line)


def test_words_put_in_a_speakers_mouth_from_the_next_sentence_are_not_supported(setup, seed_index):
    # Asked "What did he say about the contract?" after "Who is Johann Malawana?", the 1.5B model wrote "Johann
    # Malawana, chair of the ... committee, said they are taking the action because ..." from "Doctors say they
    # are taking the action because ...", the sentence before his own quote: his name stands beside it.
    checker, _, articles = setup
    chunk, (a, b) = next((c, span) for c in seed_index.chunks for span in c.sentences
                         if articles[c.article_id].text[span[0]:span[1]].startswith("Doctors say they are"))
    quote = articles[chunk.article_id].text[a:b]
    hit = Hit(chunk, 1.0)
    assert "Malawana" in chunk.text and not checker.check(f"{quote} [1]", [hit], articles).unsupported
    speaker = "Johann Malawana, chair of the British Medical Association's junior doctors committee,"
    moved = quote.replace("Doctors say", f"{speaker} said")
    assert checker.check(f"{moved} [1]", [hit], articles).unsupported
    own = next(articles[chunk.article_id].text[x:y] for x, y in chunk.sentences
               if "said Johann Malawana" in articles[chunk.article_id].text[x:y])
    feel = own[own.index("Junior doctors feel"):own.index("action") + len("action")]
    assert not checker.check(f"{speaker} said junior doctors feel {feel[len('Junior doctors feel '):]} [1].", [hit],
                             articles).unsupported


def test_a_quotation_given_to_someone_else_is_not_supported(setup, seed_index):
    # "What did Hunt say about the strike?" was answered "Hunt said he was handling the strike “equally at fault”
    # [1]." from "A further 18 per cent said both sides were “equally at fault”" and, beside it, "Labour condemned
    # Hunt's handling of the strike": every word stands in the passage, the quotation is the poll's.
    checker, _, articles = setup
    chunk = next(c for c in seed_index.chunks if "equally at fault" in c.text and "Hunt’s handling" in c.text)
    hit = Hit(chunk, 1.0)
    assert checker.check("Hunt said he was handling the strike “equally at fault” [1].", [hit], articles).unsupported
    assert not checker.check("A further 18 per cent said both sides were “equally at fault” [1].", [hit],
                             articles).unsupported


def test_the_index_sentence_vectors_judge_as_fresh_embeddings_do(setup, seed_settings, seed_index, embedder):
    # The checker reads passage sentences' vectors from the index (embedded at ingest) instead of embedding
    # them again for every answer; the judgements must not change.
    checker, hits, articles = setup
    stored = Checker(embedder, seed_settings, seed_index.sentences)
    quote = sentence_of(hits[0], articles).rstrip(".")
    text = f"{quote} [1]. {sentence_of(hits[1], articles)} [1]. The health secretary resigned in disgrace [2]."
    fresh, reused = checker.check(text, hits, articles, recite=True), stored.check(text, hits, articles, recite=True)
    assert (reused.text, reused.cited, reused.unsupported, reused.quotes) == \
        (fresh.text, fresh.cited, fresh.unsupported, fresh.quotes)
    assert reused.cited == (0, 1) and reused.unsupported == ("The health secretary resigned in disgrace [2].",)


def test_a_passage_of_another_year_backs_nothing_asked_about_a_year(seed_index, seed_settings, embedder):
    # "What does the BMA want in 2023?" was answered with a faithful quote of a 2016 article ("The BMA needs to
    # keep its resolve and escalate"): true of that article, wrong for the year asked about.
    checker = Checker(embedder, seed_settings)
    articles = seed_index.articles

    def quote_of(year: str) -> tuple[Hit, str]:
        return next((Hit(c, 1.0), articles[c.article_id].text[a:b]) for c in seed_index.chunks
                    if (articles[c.article_id].date or "").startswith(year) and "2023" not in c.text
                    and "2016" not in c.text for a, b in c.sentences if "BMA" in articles[c.article_id].text[a:b])

    old, new = quote_of("2016"), quote_of("2023")
    assert not checker.check(f"{old[1]} [1]", [old[0]], articles, question="What does the BMA want?").unsupported
    asked = "What does the BMA want in 2023?"
    assert checker.check(f"{old[1]} [1]", [old[0]], articles, question=asked).unsupported
    assert not checker.check(f"{new[1]} [1]", [new[0]], articles, question=asked).unsupported
    both = "What did the BMA want in 2016 compared with 2023?"
    assert not checker.check(f"{old[1]} [1]", [old[0]], articles, question=both).unsupported


def test_an_answer_must_rest_on_sentences_naming_what_the_question_names(seed_index):
    # "What did Jeremy Hunt say about the Gaza doctors' messages?" was answered with Hunt's appointment of Dalton:
    # backed by its passage, but nothing it rests on speaks of Gaza.
    from rag.ask.names import rests_on_terms

    articles = seed_index.articles
    hit, span = next((Hit(c, 1.0), (a, b)) for c in seed_index.chunks for a, b in c.sentences
                     if "appointed Sir David Dalton" in articles[c.article_id].text[a:b])
    article = articles[hit.chunk.article_id]
    assert "Gaza" not in article.title  # else the heading the model read would name it
    assert rests_on_terms("Whom did Jeremy Hunt appoint to lead the talks?", [(hit.chunk, [span])], articles)
    assert not rests_on_terms("What did Jeremy Hunt say to the medics in Gaza?", [(hit.chunk, [span])], articles)
    assert rests_on_terms("Whom did Jeremy Hunt appoint in December?", [(hit.chunk, [span])], articles)  # a date


def test_an_answer_must_rest_on_sentences_giving_the_figures_the_question_states(seed_index):
    from rag.ask.names import rests_on_terms

    articles = seed_index.articles
    hit, span = next((Hit(c, 1.0), (a, b)) for c in seed_index.chunks for a, b in c.sentences
                     if "appointed Sir David Dalton" in articles[c.article_id].text[a:b])
    backing = [(hit.chunk, [span])]
    assert rests_on_terms("Whom did Jeremy Hunt appoint after 66% backed the strike?", backing, articles)  # before it
    assert rests_on_terms("Whom did Jeremy Hunt appoint on 12 January?", backing, articles)  # the article's date
    assert not rests_on_terms("Whom did Jeremy Hunt appoint after 3,000 operations were cancelled?", backing, articles)
    # A length spelt with its unit picks out one strike: the first 2016 walkout lasted 24 hours, not four days.
    assert not rests_on_terms("Whom did Jeremy Hunt appoint after the four-day strike?", backing, articles)
    # So does one in digits: "Was the 48-hour strike called off?" was answered with 2023 unions calling theirs off.
    assert not rests_on_terms("Whom did Jeremy Hunt appoint after the 72-hour strike?", backing, articles)
    walkout = next((c, [(a, b)]) for c in seed_index.chunks for a, b in c.sentences
                   if "24-hour walk-out" in articles[c.article_id].text[a:b])
    assert rests_on_terms("How many doctors joined the 24-hour walk-out?", [walkout], articles)


def test_an_answer_must_rest_on_sentences_speaking_of_what_the_question_asks_about(seed_index):
    # "What did Hunt say about weekends?" was answered with his word on the walkout: his, but on another matter.
    from rag.ask.names import rests_on_terms

    articles = seed_index.articles
    hit, span = next((Hit(c, 1.0), (a, b)) for c in seed_index.chunks for a, b in c.sentences
                     if "wholly unnecessary" in articles[c.article_id].text[a:b])
    backing = [(hit.chunk, [span])]
    assert rests_on_terms("What did Hunt say about the walkout?", backing, articles)
    assert rests_on_terms("What did Hunt think of the walkouts?", backing, articles)
    assert not rests_on_terms("What did Hunt say about weekends?", backing, articles)
    assert not rests_on_terms("What did Hunt say about safety?", backing, articles)
    assert rests_on_terms("What did Hunt say about why they walked out?", backing, articles)  # a reason, no topic


def test_a_negation_about_something_else_in_the_sentence_denies_nothing(setup, seed_index):
    # "'Junior doctors feel they have been left with no option ...,' said Johann Malawana, chair of the ... junior
    # doctors committee": the claim shares "junior doctors" with the negated clause, but its facts are in the
    # others. The model's right answer to "Who is Johann Malawana?" was rejected, and the question refused.
    checker, _, articles = setup
    hit, quote = next((Hit(c, 1.0), articles[c.article_id].text[a:b]) for c in seed_index.chunks
                      for a, b in c.sentences if "said Johann Malawana, chair" in articles[c.article_id].text[a:b])
    assert "no option" in quote
    who = "Johann Malawana is the chair of the British Medical Association's junior doctors committee [1]."
    assert not checker.check(who, [hit], articles, question="Who is Johann Malawana?").unsupported
    denied = "Junior doctors feel they have been left with an option [1]."  # the negated clause, un-negated
    assert checker.check(denied, [hit], articles).unsupported


def test_a_restated_sentence_is_found_when_a_byline_is_closer_in_meaning(embedder, seed_settings):
    # "Who is Victoria Atkins?" answered "Victoria Atkins is the Health Secretary [1]." was rejected: the passage
    # sentence closest to the claim by meaning was the byline "Health correspondent", whose neighbours do not
    # name Atkins, though the passage's "Health Secretary Victoria Atkins said ..." holds every word of it.
    backs = backing(embedder, seed_settings, "bbc",
                    "Doctors begin longest strike\n\nNick Triggle\n\nHealth correspondent\n\n"
                    "Junior doctors in England have begun a six-day strike.\n\nNHS England urged patients "
                    "to use 111 online.\n\nHealth Secretary Victoria Atkins said the strike was deeply "
                    "disappointing.", "2024-01-03")
    assert backs("Victoria Atkins is the Health Secretary [1].")
    assert not backs("Steve Barclay is the Health Secretary [1].")


def test_a_negated_condition_denies_only_itself(setup, seed_index):
    # "They also pledged to re-ballot members if their demand for pay restoration to 2008 levels had not been
    # achieved when the union's current six-month strike mandate runs out in August.": "When does the 2023 strike
    # mandate end?" answered "The 2023 strike mandate ends in August [1]." was rejected as if the "not" denied it.
    checker, _, articles = setup
    hit = next(Hit(c, 1.0) for c in seed_index.chunks for a, b in c.sentences
               if "mandate runs out in August" in articles[c.article_id].text[a:b])
    question = "When does the 2023 strike mandate end?"
    ends = "The 2023 strike mandate ends in August [1]."
    assert not checker.check(ends, [hit], articles, question=question).unsupported
    achieved = "Their demand for pay restoration to 2008 levels had been achieved [1]."  # the condition, un-negated
    assert checker.check(achieved, [hit], articles).unsupported


def test_a_heading_that_asks_is_not_an_answer_but_a_quoted_question_is(embedder, seed_settings):
    # An explainer's heading "What do they want?" once came back as the model's whole answer to "What do junior
    # doctors want?": "What do junior doctors want [1]?". A reported question, quoted, is a fact.
    text = ('What do junior doctors want?\n\nThe BMA wants "full pay restoration".\n\n'
            'Dr Laurenson asked: "Why should doctors accept less?"')
    hit = Hit(Chunk("explainer#0", "explainer", text, 0, len(text), tuple(sentence_spans(text))), 1.0)
    articles = {"explainer": Article("explainer", text, "Junior doctors' strike explained", date="2023-04-12")}
    checker = Checker(embedder, seed_settings)
    question = "What do junior doctors want?"
    assert checker.check("What do junior doctors want [1]?", [hit], articles, question=question).unsupported
    assert not checker.check('The BMA wants "full pay restoration" [1].', [hit], articles,
                             question=question).unsupported
    assert not checker.check('Dr Laurenson asked: "Why should doctors accept less?" [1]', [hit], articles,
                             question="What did Dr Laurenson ask?").unsupported


def test_a_claim_restating_its_articles_headline_is_backed(setup, seed_index):
    # "Summarise the articles" was answered with the articles' headlines, each cited to a passage of its article
    # that does not repeat it, and two of three sentences were marked unbacked. Another article's headline backs
    # nothing.
    checker, _, articles = setup
    [hunt] = [a for a in articles.values() if a.title.startswith("Junior doctors plan escalating strikes")]
    later = next(c for c in seed_index.chunks if c.article_id == hunt.id and "JDC has made" in c.text)
    other = next(c for c in seed_index.chunks if c.article_id != hunt.id and hunt.title not in c.text)
    claim_text = f"{hunt.title} [1]."
    assert not checker.check(claim_text, [Hit(later, 1.0)], articles).unsupported
    assert checker.check(claim_text, [Hit(other, 1.0)], articles).unsupported


def test_an_interviews_answer_is_backed_by_who_gives_it(embedder, seed_settings):
    # An interview names its subject once, in its opening; every answer under a question heading speaks as "I".
    # "What would make Sarah Khan stay?" was answered right, then refused: no sentence it rested on named her.
    from rag.ask.names import rests_on_terms

    text = ("Dr Sarah Khan, 29, is a junior doctor in Manchester.\n\nWhat would make you stay?\n\n"
            "A pay rise that makes up for the last 15 years, and a rota I know about in advance.")
    spans = tuple(sentence_spans(text))
    chunk = Chunk("interview#0", "interview", text, 0, len(text), spans)
    articles = {"interview": Article("interview", text, "A junior doctor on why she strikes", date="2023-07-08")}
    assert rests_on_terms("What would make Sarah Khan stay?", [(chunk, [spans[2]])], articles)
    assert not rests_on_terms("What would make Steve Barclay stay?", [(chunk, [spans[2]])], articles)
    checker = Checker(embedder, seed_settings)
    claim_text = "Sarah Khan would stay for a pay rise that makes up for the last 15 years [1]."
    assert not checker.check(claim_text, [Hit(chunk, 1.0)], articles).unsupported
    assert checker.check(claim_text.replace("Sarah Khan", "Steve Barclay"), [Hit(chunk, 1.0)], articles).unsupported


def test_a_transcripts_turn_is_backed_by_who_speaks_it(embedder, seed_settings):
    # A debate names each speaker once, at the start of a turn that runs on over paragraphs: "What would the 35%
    # rise cost, according to Atkins?" was answered right from the turn's second paragraph, then refused.
    from rag.ask.names import rests_on_terms

    text = ("Ann Lee (Ilford) (Lab): Will the minister meet the union?\n\n"
            "Victoria Atkins: I will meet them when the strikes stop. I thank our staff.\n\n"
            "But I cannot negotiate while the union asks for 35%, which would cost £3 billion a year.\n\n"
            "Daisy Cooper: That is no answer.")
    spans = tuple(sentence_spans(text))
    chunk = Chunk("debate#0", "debate", text, 0, len(text), spans)
    articles = {"debate": Article("debate", text, "Strikes debate", date="2024-01-10")}
    cost = next(span for span in spans if "£3 billion" in text[span[0]:span[1]])
    assert rests_on_terms("What would the 35% rise cost, according to Atkins?", [(chunk, [cost])], articles)
    assert not rests_on_terms("What would the 35% rise cost, according to Ann Lee?", [(chunk, [cost])], articles)
    checker = Checker(embedder, seed_settings)
    claim_text = ("Victoria Atkins said she cannot negotiate while the union asks for 35%, which would cost £3 billion "
                  "[1].")
    assert not checker.check(claim_text, [Hit(chunk, 1.0)], articles).unsupported
    assert checker.check(claim_text.replace("Victoria Atkins", "Ann Lee"), [Hit(chunk, 1.0)], articles).unsupported


def test_a_marker_standing_as_the_subject_cites_what_follows_it(setup):
    # "Two reports differ. [2] reports that more than 4,000 ...": the marker was read as the previous sentence's,
    # so the restated question was cited to [2] and "reports that ..." to the next marker.
    checker, hits, articles = setup

    def plain(rank: int) -> str:  # a sentence of the passage ending in a full stop, without it
        return next(s[:-1] for n in range(len(hits[rank].chunk.sentences))
                    for s in [sentence_of(hits[rank], articles, n)] if s.endswith(".") and '"' not in s)

    first, third = plain(0), plain(2)
    result = checker.check(f"Two reports differ. [1] reports that {first[0].lower()}{first[1:]}. [3] says "
                           f"{third[0].lower()}{third[1:]}.", hits, articles)
    assert result.text == f"Two reports differ. {first} [1]. {third} [2]."
    assert result.cited == (0, 2) and result.unsupported == ("Two reports differ.",)


def test_a_claim_about_when_and_by_whom_an_article_was_published_is_backed_by_what_the_chat_shows(
        embedder, seed_settings):
    # "When was the AP story published?" was answered right from the excerpt's heading ("(AP, 2024-09-18)"),
    # then refused: no passage sentence says it. The article's date backs nothing else ("The strike was in 2024").
    text = "LONDON (AP) - Junior doctors in England have voted to accept a government pay offer."
    hit = Hit(Chunk("ap#0", "ap", text, 0, len(text), tuple(sentence_spans(text))), 1.0)
    articles = {"ap": Article("ap", text, "Doctors in England end dispute", "AP", "2024-09-18")}
    checker = Checker(embedder, seed_settings)
    question = "When was the AP story published?"
    assert not checker.check("The AP story was published on September 18, 2024 [1].", [hit], articles,
                             question=question).unsupported
    assert checker.check("The AP story was published on September 19, 2024 [1].", [hit], articles,
                         question=question).unsupported
    assert checker.check("The pay offer was accepted in September 2024 [1].", [hit], articles).unsupported


def test_a_length_of_time_does_not_count_other_things(embedder, seed_settings):
    # "How many strikes were there in total?" was answered "There were four strikes in total [1]." from a live
    # blog's "the first day of the four-day junior doctors' strike": the figure is the strike's length.
    backs = backing(embedder, seed_settings, "live",
                    "Strike day one - live\n\nClosing summary\n\nHere is a summary of the first "
                    "day of the four-day junior doctors' strike in England:\n\nTens of thousands of junior "
                    "doctors walked out at 7am, the start of a 96-hour strike.\n\n2023-04-11", "2023-04-11")
    assert not backs("There were four junior doctors' strikes in England [1].")
    assert backs("The junior doctors' strike in England lasted four days [1].")


def test_a_sentence_cut_off_states_nothing(embedder, seed_settings):
    # "What is Salford Royal?" was answered "Salford Royal NHS Foundation Trust is the chief executive of [1].":
    # every word is in the passage, but the sentence stops before what it would say.
    backs = backing(embedder, seed_settings, "talks",
                    "Talks resume\n\nHealth secretary Jeremy Hunt has now appointed Sir David "
                    "Dalton, chief executive of Salford Royal NHS Foundation Trust, to lead negotiations.",
                    "2016-01-13")
    cut = "Salford Royal NHS Foundation Trust is the chief executive of [1]."
    assert not backs(cut)
    whole = "Sir David Dalton is chief executive of Salford Royal NHS Foundation Trust [1]."
    assert backs(whole)


def test_what_someone_is_stands_beside_their_name(embedder, seed_settings):
    # "Who is Victoria Atkins?" was answered "Victoria Atkins is a junior doctor [1].": her name and "junior
    # doctors" were both in the passage, apart.
    backs = backing(embedder, seed_settings, "wire",
                    "Doctors to strike\n\nJunior doctors in England will strike for six days. "
                    "Health minister Victoria Atkins said she was disappointed. Sir Julian Hartley, chief "
                    "executive of NHS Providers, said: \"Patients will suffer.\"", "2023-12-05")
    assert not backs("Victoria Atkins is a junior doctor [1].")
    assert backs("Victoria Atkins is the health minister [1].")
    # A speaker and nothing said states nothing either.
    assert not backs("Sir Julian Hartley, chief executive of NHS Providers, said [1].")
    assert backs("Sir Julian Hartley is chief executive of NHS Providers [1].")


def test_a_figure_keeps_what_it_counts(embedder, seed_settings):
    # "How many people blamed doctors for the dispute?" was answered "64 per cent of people blamed doctors [1].":
    # the passage's 64 per cent blamed the Government, its 13 per cent the doctors.
    backs = backing(embedder, seed_settings, "poll",
                    "Poll\n\nAt the time of the walkout doctors received strong public support, "
                    "with 64 per cent of people blaming the Government for the dispute and 13 per cent "
                    "blaming doctors, according to a poll.", "2016-01-13")
    assert not backs("64 per cent of people blamed doctors for the dispute [1].")
    assert backs("13 per cent of people blamed doctors [1].")
    assert backs("64 per cent of people blamed the Government [1].")


def test_a_number_word_in_a_name_counts_nothing(embedder, seed_settings):
    # "What did Sky Three become?" was answered "Sky Three was re-branded as 'Pick TV' in 2011 [1].", and the check
    # read "Three" as a figure that counts the passage's "three BSkyB channels".
    backs = backing(embedder, seed_settings, "sky",
                    "Channels\n\nPrior to October 2005, three BSkyB channels were available on this platform: Sky "
                    "News, Sky Three, and Sky Sports News. Initially BSkyB provided Sky Travel to the service. "
                    "However, this was replaced by Sky Three on 31 October 2005, which was itself later "
                    "re-branded as 'Pick TV' in 2011.", "2016-01-13")
    assert backs("Sky Three was re-branded as 'Pick TV' in 2011 [1].")


def test_a_thought_is_given_to_whom_the_passage_gives_it(embedder, seed_settings):
    # "What do midwives think?" was answered "Midwives think junior doctors will be joined by midwives and student
    # nurses [1].", on "Junior doctors were expecting to be joined by midwives and student nurses."
    backs = backing(embedder, seed_settings, "picket",
                    "Pickets\n\nA lively picket at Kings College Hospital. Junior doctors were "
                    "expecting to be joined by midwives and student nurses.", "2016-02-10")
    claim = "Midwives think junior doctors will be joined by midwives and student nurses [1]."
    assert not backs(claim)
    assert backs("Junior doctors were expecting to be joined by midwives and student nurses [1].")


def test_words_on_a_placard_are_given_to_who_holds_it(embedder, seed_settings):
    # "What did patients say?" was answered 'Patients said "Doctors of Gaza support NHS UK Doctors" [1].', on medics
    # posing "with placards saying" it: "saying" gives the words to the clause's subject, as "said" would.
    backs = backing(embedder, seed_settings, "gaza",
                    "Gaza medics send support\n\nMedics working in the emergency department in "
                    "Shifa hospital posed with placards saying: \"Doctors of Gaza support NHS UK "
                    "Doctors\".", "2016-01-13")
    assert not backs('Patients said "Doctors of Gaza support NHS UK Doctors" [1].')
    assert backs('Medics in Shifa hospital said "Doctors of Gaza support NHS UK Doctors" [1].')


def test_one_of_two_chairmen_is_a_chairman(embedder, seed_settings):
    # "Who is Vivek Trivedi?" was answered "Vivek Trivedi is a co-chairman of the BMA's junior doctors committee
    # [1]." and the check found it unbacked: the passage wrote "co-chairmen", which the stemmer keeps apart.
    backs = backing(embedder, seed_settings, "times",
                    "Doctors to strike\n\nDr Rob Laurenson and Dr Vivek Trivedi, co-chairmen of the BMA's junior "
                    "doctors committee, told The Times that doctors were willing to keep striking.", "2023-03-11")
    assert backs("Vivek Trivedi is a co-chairman of the BMA's junior doctors committee [1].")
    assert not backs("Vivek Trivedi is a consultant [1].")


def test_of_two_speakers_in_a_sentence_the_claim_is_given_to_whose_words_it_restates(embedder, seed_settings):
    # "What did the government claim about the contract?" was answered "The government claimed the new contract
    # fails to protect junior doctors ..." from "The BMA claims the new contract fails ..., whereas the Government
    # says ...": the Government speaks in the sentence, but not those words.
    backs = backing(embedder, seed_settings, "independent",
                    "Talks to resume\n\nThe BMA claims the new contract fails to protect junior doctors working long "
                    "hours and would unfairly cut out of hours pay, whereas the Government says its new safeguards "
                    "will provide protection junior doctors and points to its offer of an 11 per cent rise in basic "
                    "pay.", "2016-01-13")
    assert not backs("The government claimed the new contract fails to protect junior doctors working long hours "
                     "[1].")
    assert backs("The BMA claims the new contract fails to protect junior doctors working long hours [1].")
    assert backs("The Government says its new safeguards will provide protection for junior doctors [1].")


def test_a_yes_that_restates_the_question_with_a_word_no_passage_holds_is_not_supported(embedder, seed_settings):
    # "Did the Gaza doctors go on strike?" was answered "The gaza doctors went on strike [1]." and passed: close in
    # meaning to a passage on Gaza medics backing striking doctors, with every word but "went" the question's.
    hit, articles = one_passage("independent", "Junior doctors strike: Gaza medics send messages of support\n\n"
                                "Medics in Gaza's Shifa hospital posed with placards saying: \"Doctors of Gaza "
                                "support NHS UK Doctors\".", "2016-01-13")
    checker = Checker(embedder, seed_settings)
    question = "Did the Gaza doctors go on strike?"
    assert checker.check("The Gaza doctors went on strike [1].", [hit], articles, question=question).unsupported
    backed = "Medics in Gaza posed with placards saying: \"Doctors of Gaza support NHS UK Doctors\" [1]."
    assert not checker.check(backed, [hit], articles, question=question).unsupported


def test_a_subject_written_as_two_words_in_the_passage_is_held(embedder, seed_settings):
    # "When does the 72-hour walkout begin?" was answered "The 72-hour walkout will begin on March 13 [1].", right,
    # and rejected: the passage writes "walk out", and the claim's subject "walkout" was not found near it.
    backs = backing(embedder, seed_settings, "talks", "Talks\n\nThe discussions have not involved junior doctors in "
                    "the British Medical Association (BMA), who are still due to walk out for 72 hours on Monday, "
                    "March 13.", "2023-03-11", "When does the 72-hour walkout begin?")
    assert backs("The 72-hour walkout will begin on March 13 [1].")
    assert not backs("The 72-hour strike will begin on March 13 [1].")


def test_a_because_is_no_fact_to_find(embedder, seed_settings):
    # "Why are doctors striking in 2023?" was answered "Doctors are striking in 2023 because of disputes around pay
    # [1].", right, and rejected: "because" was a word the passage lacked, and the share held fell under the bar.
    backs = backing(embedder, seed_settings, "pay", "Pay\n\nJunior Doctors are due to strike for three days beginning "
                    "Monday amid disputes around pay.", "2023-03-11", "Why are doctors striking in 2023?")
    assert backs("Doctors are striking in 2023 because of disputes around pay [1].")
    assert not backs("Doctors are striking in 2023 because of disputes around safety [1].")
