"""Path conventions: folders named for a generator or for AI output. The weakest evidence."""

from __future__ import annotations

from reelprov.extract.plugin import Context, ExtractResult, evidence, hookimpl


@hookimpl
def reelprov_extract(ctx: Context) -> ExtractResult | None:
    folders = ctx.rel.split("/")[:-1]
    out = []
    for folder in folders:
        low = folder.lower()
        if low in ctx.tools.path_hints:
            out.append(
                evidence(
                    "path",
                    "path",
                    "ai_generated",
                    None,
                    f"folder '{folder}' holds AI output by convention",
                )
            )
            continue
        for t in ctx.tools.find(folder.replace("_", " "))[:1]:
            out.append(
                evidence(
                    "path", "path", t.origin, t.name, f"folder '{folder}' is named for {t.name}"
                )
            )
    return ExtractResult(out) if out else None
