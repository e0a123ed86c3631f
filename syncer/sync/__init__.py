"""Items to tracker calls and back: the pure plan, the push/pull engine, write-back edits and locks."""
