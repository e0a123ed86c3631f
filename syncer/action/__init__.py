"""pmsync as a GitHub Action: :mod:`~syncer.action.run` takes the steps in order: the event
(:mod:`~syncer.action.event`), its scope (:mod:`~syncer.action.scope`), the command run in this
process, the write-back commit (:mod:`~syncer.action.writeback`, through
:mod:`~syncer.action.git`) and the outputs (:mod:`~syncer.action.publish`)."""
