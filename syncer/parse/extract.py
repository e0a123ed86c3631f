"""Read many documents and extract their action items: the entry point of every command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings
from syncer.errors import InputError
from syncer.markdown.document import read_document
from syncer.model import ParsedDocument
from syncer.parse.discovery import discover
from syncer.parse.list_items import parse_list_items
from syncer.parse.options import parse_options
from syncer.parse.table_items import parse_items


@dataclass(frozen=True)
class Extraction:
    """The documents that could be read, and the errors of those that could not."""

    documents: tuple[ParsedDocument, ...]
    errors: tuple[InputError, ...]


def extract(paths: Sequence[Path], settings: Settings) -> Extraction:
    """Parse every document named by ``paths``; unreadable ones are collected, not raised."""
    options = parse_options(settings)
    max_bytes = int(settings.max_document_mb * 1024 * 1024)
    documents: list[ParsedDocument] = []
    errors: list[InputError] = []
    for path in discover(paths):
        try:
            doc = read_document(path, max_bytes=max_bytes)
        except InputError as exc:
            errors.append(exc)
            continue
        documents.append(parse_list_items(parse_items(doc, options), options))
    return Extraction(tuple(documents), tuple(errors))

