"""Action items written as lists (bullets, checkboxes, numbered lists).

Placeholder until list extraction lands: returns the document's items unchanged.
"""

from __future__ import annotations

from syncer.items import ParsedDocument, ParseOptions


def parse_list_items(parsed: ParsedDocument, options: ParseOptions) -> ParsedDocument:
    """Add the document's list items to ``parsed`` (tables only for now)."""
    return parsed
