"""``python -m syncer`` runs the pmsync command line."""

from syncer.cli.main import entry

entry()
