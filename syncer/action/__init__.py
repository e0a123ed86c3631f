"""pmsync as a GitHub Action: the event, its scope, the run and the write-back commit."""
