"""Review: what people look at and decide.

`assets` answers `ls`/`show` and writes the asset JSON of the public contract; `flags` selects and
lists flags; `decisions` approves, rejects, waives and revokes them, each decision bound to the
content it was made on; `tags` records tags, stage overrides and origin declarations.
"""
