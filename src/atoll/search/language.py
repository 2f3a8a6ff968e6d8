"""The query language of search, and its translation for either database.

Words (all must match; stemmed for content: "deploying" finds "deploy"), ``"quoted
phrases"``, ``word*`` for a prefix, ``-word`` to leave out. People and spaces match every word
as a prefix ("ana sil" finds Ana Silva), so the type-ahead answers while typing. Nothing typed
is ever passed on as FTS5 or tsquery syntax: every word is quoted or reduced to ``\\w+``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from atoll.kit.errors import Invalid

MAX_QUERY = 200
MAX_TERMS = 12

_CHUNK = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False
    phrase: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)


def parse(q: str) -> Query:
    """Split the text typed into terms. Punctuation inside a word ("node.js", "e-mail") makes
    a phrase of its parts, as the index splits them too."""
    terms: list[Term] = []
    for match in _CHUNK.finditer(q[:MAX_QUERY]):
        negated_phrase, phrase, bare = match.groups()
        if bare is not None:
            negated = bare.startswith("-") and len(bare) > 1
            chunk = bare[1:] if negated else bare
            prefix = chunk.endswith("*")
            words = tuple(w.lower() for w in WORD.findall(chunk))
            if words:
                terms.append(Term(words, prefix=prefix, negated=negated, phrase=len(words) > 1))
        else:
            words = tuple(w.lower() for w in WORD.findall(phrase or ""))
            if words:
                terms.append(Term(words, negated=bool(negated_phrase), phrase=True))
    query = Query(tuple(terms[:MAX_TERMS]))
    if not query.positive:
        raise Invalid.field("q", "needs at least one word to search for")
    return query


def is_prefix(term: Term, names: bool) -> bool:
    """Whether a term matches as a prefix: every bare word of a name; in content, a word
    typed with ``*`` of two characters at least ("a*" would expand to a large share of the
    vocabulary; it matches the word "a")."""
    if names:
        return term.prefix or not term.phrase
    return term.prefix and len(term.words[-1]) >= 2


def fts5_match(query: Query, *, names: bool, scope: Sequence[int] | None = None) -> str:
    """An FTS5 MATCH expression: every word quoted, so nothing typed is FTS5 syntax. Content
    matches the title and body only; ``scope`` narrows it to those spaces' documents."""

    def one(term: Term) -> str:
        quoted = '"' + " ".join(term.words) + '"'
        return quoted + " *" if is_prefix(term, names) else quoted

    expression = " AND ".join(one(t) for t in query.positive)
    for term in query.terms:
        if term.negated:
            expression += " NOT " + one(term)
    if names:
        return expression
    expression = "{title body} : (" + expression + ")"
    if scope is not None:
        expression += " AND scope : (" + " OR ".join(f'"s{i}"' for i in scope) + ")"
    return expression


def tsquery_text(query: Query, *, names: bool) -> str:
    """A ``to_tsquery`` text: words are ``\\w+`` only, so none of it is tsquery syntax."""

    def one(term: Term) -> str:
        if term.phrase:
            return "(" + " <-> ".join(term.words) + ")"
        word = term.words[0]
        return word + ":*" if is_prefix(term, names) else word

    expression = " & ".join(one(t) for t in query.positive)
    for term in query.terms:
        if term.negated:
            expression += " & !" + one(term)
    return expression
