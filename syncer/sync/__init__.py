"""Items to tracker calls and back.

``push``: :mod:`~syncer.sync.push` locks (:mod:`~syncer.sync.locks`) and reads the documents,
:mod:`~syncer.sync.gather` reads the tracker state in batches (through the run's
:mod:`~syncer.sync.trackers`), :mod:`~syncer.sync.plan` decides each item (pure),
:mod:`~syncer.sync.execute` makes the tracker calls and :mod:`~syncer.sync.edits` writes the
owned cells back, byte for byte elsewhere. ``pull``: :mod:`~syncer.sync.pull` reads the linked
tickets (gather) and writes their statuses in the document's words
(:mod:`~syncer.sync.status_text`). Both return a :mod:`~syncer.sync.results` ``RunResult``.
"""
