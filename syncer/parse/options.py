"""Build the parser's options from settings: shipped vocabularies extended by configuration."""

from __future__ import annotations

from config.settings import Settings
from syncer.model import Status
from syncer.parse.table_items import DEFAULT_COLUMN_SYNONYMS, ParseOptions
from syncer.parse.values import DEFAULT_STATUS_EMOJI, DEFAULT_STATUS_WORDS, StatusVocabulary


def parse_options(settings: Settings) -> ParseOptions:
    """Column synonyms and status words from settings, added to the shipped ones."""
    synonyms = {k: tuple(v) for k, v in DEFAULT_COLUMN_SYNONYMS.items()}
    for field_name, extra in settings.parse.column_synonyms.items():
        synonyms[field_name] = tuple(extra) + synonyms.get(field_name, ())
    words = {k: tuple(v) for k, v in DEFAULT_STATUS_WORDS.items()}
    for status_name, extra in settings.parse.status_words.items():
        status = Status(status_name)
        words[status] = tuple(extra) + words[status]
    vocabulary = StatusVocabulary(words, DEFAULT_STATUS_EMOJI)
    return ParseOptions(synonyms, vocabulary, settings.parse.date_order)
