"""Recording: from a file on disk to ledger entries.

The flow, one module each: `walk` finds the recordable files (Candidates); `pool` reads them in
examining processes (reelprov.extract does the reading); `record` appends what each result means
(seen, changed, moved, restored, new evidence, deleted) in one transaction per batch, which also
runs the policy; `scan` drives the three for `reelprov scan`, and the watcher (reelprov.watch)
drives them a few files at a time; `report` is what either tells the user.
"""
