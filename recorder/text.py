"""Word normalization shared by lexicon lookups, keyword rules and PII redaction."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def plain(word: str) -> str:
    """Lowercase without accents or surrounding punctuation: recognizers and people disagree on both."""
    decomposed = unicodedata.normalize("NFKD", word.lower().strip(".,;:!?¿¡\"'()"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class TermSet:
    """Terms where a trailing '*' matches any ending ('cancel*' matches 'cancelar', 'canceló')."""

    def __init__(self, terms: Iterable[tuple[str, object]]) -> None:
        self.exact: dict[str, object] = {}
        self.prefixes: list[tuple[str, object]] = []
        for term, value in terms:
            term = plain(term)
            if term.endswith("*"):
                self.prefixes.append((term[:-1], value))
            else:
                self.exact[term] = value

    def get(self, word: str):
        """The value of the term `word` matches (already plain), or None."""
        if word in self.exact:
            return self.exact[word]
        for prefix, value in self.prefixes:
            if word.startswith(prefix):
                return value
        return None
