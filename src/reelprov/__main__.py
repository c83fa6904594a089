"""`python -m reelprov` runs the command-line interface."""

from __future__ import annotations

from reelprov.cli import main

if __name__ == "__main__":
    main()
