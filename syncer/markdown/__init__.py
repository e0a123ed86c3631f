"""Markdown as pmsync reads it: the document's exact bytes and lines, its tables, headings and inline markup."""
