"""Comments on Jira issues: the body pmsync posts and the comments it reads back.

Jira has nowhere to hide text in a comment, so pmsync's tag lives in the comment property
``pmsync`` (set on create, read back with ``expand=properties`` on the comment list). A mention
notifies the person: on Cloud an ADF ``mention`` node of the accountId (the body goes to API
v3, which takes Atlassian Document Format); on Server/Data Center ``[~username]`` wiki markup
(API v2 takes a string).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

PROPERTY_KEY = "pmsync"


def comment_payload(text: str, tag: str, mention: str | None,
                    flavour: Literal["cloud", "server"]) -> dict[str, Any]:
    """The ``POST /issue/{key}/comment`` body: ADF on Cloud (v3), wiki markup on Server (v2)."""
    body: Any
    if flavour == "cloud":
        body = adf_comment(text, mention)
    else:
        body = f"[~{mention}] {text.strip()}" if mention else text.strip()
    return {"body": body, "properties": [{"key": PROPERTY_KEY, "value": {"tag": tag}}]}


def adf_comment(text: str, mention: str | None) -> dict[str, Any]:
    """Plain text as an Atlassian Document, paragraphs split at blank lines, a mention of the
    accountId ``mention`` first."""
    paragraphs: list[dict[str, Any]] = []
    for block in (b for b in text.strip().split("\n\n") if b.strip()):
        content: list[dict[str, Any]] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    if mention and paragraphs:
        paragraphs[0]["content"][:0] = [{"type": "mention", "attrs": {"id": mention}},
                                        {"type": "text", "text": " "}]
    return {"type": "doc", "version": 1, "content": paragraphs}


def comment_tag(raw: Mapping[str, Any]) -> str | None:
    """The tag in a listed comment's ``pmsync`` property; None on anyone else's comment."""
    for prop in raw.get("properties") or []:
        if isinstance(prop, Mapping) and prop.get("key") == PROPERTY_KEY:
            value = prop.get("value")
            tag = value.get("tag") if isinstance(value, Mapping) else None
            return tag if isinstance(tag, str) and tag else None
    return None
