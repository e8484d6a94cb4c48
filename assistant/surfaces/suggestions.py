"""Example questions drawn from the articles themselves, for the chat page.

Without an LLM the questions are built from the people the articles quote: a capitalised
word right beside a speech verb ("sagte Rubio", "Rubio said") counts as a quoted person,
shown with the first name it carries elsewhere ("Marco Rubio"). The topic is the proper
noun that most often shares a sentence with the name.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from assistant.errors import AssistantError
from assistant.ingest.articles import read_articles
from assistant.language.lexicon import lexicon
from assistant.language.tokens import stopwords

# A capitalised word after or before one of the commonest reporting words of the text's
# language (`Lexicon.regex`).
_QUOTED = (
    r"\b(?:{speech.example_verbs})\s+(?:[a-zäöü]+\s+){0,2}([A-ZÀ-Ý][\w-]{2,})"
    r"|([A-ZÀ-Ý][\w-]{2,})\s+(?:{speech.example_verbs})\b"
)
_CAPITALISED = re.compile(r"\b[A-ZÀ-Ý][\w-]{3,}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?\"“”])\s+")
_ARTICLES_READ = 200  # enough for good examples; keeps page start-up short


def examples_from_folder(seeds: Path, limit: int = 3) -> list[str]:
    """Example questions from the articles in `seeds` (none when it cannot be read)."""
    try:
        articles, _ = read_articles(seeds)
    except AssistantError:
        return []
    return example_questions([(a.text, a.language) for a in articles[:_ARTICLES_READ]], limit)


def example_questions(texts: Iterable[tuple[str, str]], limit: int = 3) -> list[str]:
    """Up to `limit` questions about the people the texts quote most, best first.

    Args:
        texts: (article text, ISO 639-1 language) pairs.
    """
    quoted: Counter[str] = Counter()
    sentences: list[str] = []
    common: set[str] = set(stopwords("en"))
    for text, language in texts:
        common |= stopwords(language)
        for after_verb, before_verb in lexicon(language).regex(_QUOTED).findall(text):
            quoted[after_verb or before_verb] += 1
        sentences += _SENTENCE_END.split(text)
    full = " ".join(sentences)
    full_names = {}
    for name, _ in quoted.most_common():
        # A person carries a first name somewhere ("Marco Rubio"); a noun next to a speech
        # verb ("der Vizechef") does not.
        for first in re.findall(rf"\b([A-ZÀ-Ý][a-zà-ÿ]+)\s+{re.escape(name)}\b", full):
            if first.lower() not in common and name.lower() not in common:
                full_names[name] = f"{first} {name}"
                break
        if len(full_names) == limit:
            break
    name_words = {word for full_name in full_names.values() for word in full_name.split()}
    questions = []
    for name, full_name in full_names.items():
        topic = _topic(name, sentences, name_words, common)
        questions.append(f"What did {full_name} say{f' about {topic}' if topic else ''}?")
    return questions


def _topic(name: str, sentences: list[str], people: set[str], common: set[str]) -> str | None:
    """The capitalised word (not a person) that most often shares a sentence with `name`."""
    counts: Counter[str] = Counter()
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    for sentence in sentences:
        if pattern.search(sentence):
            counts.update(
                {w for w in _CAPITALISED.findall(sentence) if w not in people}
                - {w for w in _CAPITALISED.findall(sentence) if w.lower() in common}
            )
    topic, n = next(iter(counts.most_common(1)), (None, 0))
    return topic if n >= 2 else None
