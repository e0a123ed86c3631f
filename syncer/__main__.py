"""``python -m syncer`` runs the pmsync command line."""

from syncer.cli import entry

entry()
