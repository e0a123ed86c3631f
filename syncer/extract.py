"""Read many documents and extract their action items: the entry point of every command."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from config.settings import Settings
from syncer.discovery import discover
from syncer.document import read_document
from syncer.errors import InputError
from syncer.items import ParsedDocument, parse_items
from syncer.lists import parse_list_items
from syncer.options import parse_options


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
    with _collector_paused():
        for path in discover(paths):
            try:
                doc = read_document(path, max_bytes=max_bytes)
            except InputError as exc:
                errors.append(exc)
                continue
            documents.append(parse_list_items(parse_items(doc, options), options))
    return Extraction(tuple(documents), tuple(errors))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing.

    Parsing allocates hundreds of thousands of small objects (lines, rows, items) and frees
    almost none: the collector would rescan the growing heap again and again for cycles that
    parsing never creates (a quarter of the run time on a large corpus). Reference counting
    still frees everything as usual.

    Re-enabling the collector alone would not end the cost: the allocation count kept rising
    while it was paused, so the next allocation starts a young-generation collection, which
    walks every object parsing made (5% of a run). So, unless the program froze objects of its
    own, what parsing made is moved into the oldest generation instead: ``gc.freeze()`` moves
    every tracked object into the permanent generation and resets the count, ``gc.unfreeze()``
    moves them all back into the oldest generation, both without walking them (a few
    microseconds). The oldest generation is still collected, by the collector's own schedule or
    by ``gc.collect()``: a cycle made during parsing is found later, not never.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:  # nothing of the program's own to unfreeze by mistake
                gc.freeze()
                gc.unfreeze()
            gc.enable()
