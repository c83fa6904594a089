"""The watcher daemon: reconcile on start, then keep the ledger true from filesystem events."""
