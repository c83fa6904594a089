"""The `reelprov` command: parse, call the library, print.

`app` holds the application, its groups and `main`; one module per command group registers its
commands on it, loaded here in the order `reelprov --help` lists them; `common` is what they
share. No command holds a rule of record: each calls the library (reelprov.recording, .review,
.cuts, .report, .ledger, .policy) the way a web app would.
"""

from importlib import import_module

from reelprov.cli.app import app, main

COMMAND_GROUPS = ("project", "assets", "review", "uses", "cuts", "report", "ledger", "policy")
for _group in COMMAND_GROUPS:
    import_module(f"reelprov.cli.{_group}")

__all__ = ["app", "main"]
