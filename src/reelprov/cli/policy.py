"""`policy show` and `policy check`."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

from reelprov.cli.app import policy_app
from reelprov.cli.common import (
    JsonOpt,
    ProgressBar,
    emit,
    open_project,
)

# Counts as words; a path, and any other text from files or timelines, safe for one line of
# terminal output (control characters escaped, bad bytes as \xNN).
from reelprov.names import counted as _n


@policy_app.command("show")
def policy_show(as_json: JsonOpt = False) -> None:
    """The rules in force, by area."""
    p = open_project()
    pol = p.policy
    if as_json:
        emit(
            {
                "source": pol.source,
                "approved_tools": pol.approved_tools,
                "rules": [
                    {
                        "id": r.id,
                        "area": r.area,
                        "severity": r.severity,
                        "severity_on_screen": r.severity_on_screen,
                        "message": r.message,
                        "when": r.when,
                    }
                    for r in pol.rules
                ],
            }
        )
        return
    print(f"policy: {pol.source}\napproved tools: {', '.join(pol.approved_tools) or '(none)'}")
    for area, rules in pol.by_area().items():
        print(f"\n[{area}]")
        for r in rules:
            cond = "; ".join(f"{k}={v}" for k, v in r.when.items())
            on_screen = (
                f" ({r.severity_on_screen} headed to screen)" if r.severity_on_screen else ""
            )
            print(f"  {r.id} -> {r.severity}{on_screen}\n      when {cond}")


@policy_app.command("check")
def policy_check(as_json: JsonOpt = False) -> None:
    """Re-evaluate every asset now."""
    from reelprov.policy.check import policy_check as do_check

    p = open_project()
    with ProgressBar("policy check") as prog:
        counts = do_check(p, progress=prog)
    emit(counts) if as_json else print(
        f"checked {_n(counts['assets'], 'asset')}: {counts['raised']} raised, {counts['reopened']} reopened, {counts['resolved']} resolved"
        + (f", {counts['updated']} with a new reason" if counts["updated"] else "")
    )
