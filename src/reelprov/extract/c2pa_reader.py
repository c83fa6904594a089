"""C2PA Content Credentials through c2pa-python: actions, agents, ingredients, validation state."""

from __future__ import annotations

import io
import json
import os
from functools import lru_cache
from typing import Any

from reelprov.extract.plugin import Context, Evidence, ExtractResult, evidence, hookimpl, unreadable
from reelprov.extract.sidecars import MAX_C2PA_SIDECAR, read_sidecar, sidecar_file
from reelprov.extract.xmp import DST_ORIGIN, dst_code

_STATES = {"valid": "valid", "trusted": "trusted", "invalid": "invalid"}


def _trusting(pem: str) -> Any:
    """A c2pa Context whose signers are `trusted` when they chain to PEM (raises C2paError if unusable)."""
    import c2pa

    return c2pa.Context(
        c2pa.Settings.from_dict({"trust": {"trust_anchors": pem}, "verify": {"verify_trust": True}})
    )


def _context(trust_pem: str | None) -> Any:
    """The trusting Context for PEM, made once per process: the library's objects belong to the
    process that made them, and a scan's forked workers inherit this cache from their parent (a
    watcher that has already read files itself), where a parent's Context made every trusted
    signature read as invalid."""
    return _context_in(os.getpid(), trust_pem) if trust_pem else None


@lru_cache(maxsize=4)
def _context_in(pid: int, trust_pem: str) -> Any:
    return _trusting(trust_pem)


def trust_anchor_problem(pem: str) -> str | None:
    """Why c2pa-python refuses PEM as trust anchors, or None. A Context made here and dropped:
    examining workers make their own (the library's objects belong to the process that made them)."""
    import c2pa

    if "-----BEGIN CERTIFICATE-----" not in pem:
        return "no PEM certificate in it"
    try:
        _trusting(pem)
    except c2pa.C2paError as exc:
        return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return None


@hookimpl
def reelprov_extract(ctx: Context) -> ExtractResult | None:
    sidecar = sidecar_file(ctx.path, ".c2pa") if ctx.sidecars else None
    if not ctx.c2pa_marker and sidecar is None:
        return None
    import c2pa

    source = f"C2PA manifest ({sidecar.name})" if sidecar else "C2PA manifest"
    try:
        context = _context(ctx.trust_anchors)
        if sidecar is not None:
            try:
                manifest = read_sidecar(sidecar, MAX_C2PA_SIDECAR)
            except ValueError as exc:
                return ExtractResult(
                    [unreadable(source, exc)], {"present": True, "state": "invalid"}
                )
            with ctx.stream() as stream:
                reader = c2pa.Reader(
                    ctx.media_type, stream, manifest_data=manifest, context=context
                )
                return _read(reader, source)
        if ctx.data is not None:
            # The hashed bytes, from memory (cheaper through the binding's read callbacks than a
            # file); the library finds the container from the bytes, so a misnamed file is read
            # for what it is.
            reader = c2pa.Reader(None, io.BytesIO(ctx.data), context=context)
        else:
            reader = c2pa.Reader(str(ctx.path), context=context)
        return _read(reader, source)
    except c2pa.C2paError as exc:
        text = str(exc)
        if "ManifestNotFound" in text or "NotSupported" in text or "JumbfNotFound" in text:
            return None  # the marker bytes were a coincidence, or a format c2pa cannot read
        return ExtractResult([unreadable(source, exc)], {"present": True, "state": "invalid"})


def _read(reader: Any, source: str) -> ExtractResult:
    with reader:
        store = json.loads(reader.json())
    # the same field Reader.get_validation_state() returns, without serialising and parsing twice
    state = _STATES.get(str(store.get("validation_state") or "").lower(), "invalid")
    active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    kind = "c2pa" if state in ("valid", "trusted") else "c2pa_invalid"
    out: list[Evidence] = []
    generator = _generator(active)
    actions = _actions(active)
    for act in actions:
        dst = act.get("digitalSourceType")
        code = dst_code(dst) if isinstance(dst, str) else None
        origin = DST_ORIGIN.get(code) if code else None
        agent = _agent(act.get("softwareAgent")) or generator
        if code is None:
            continue
        tool = _tool_name(agent) if origin and origin != "human" else None
        out.append(
            evidence(
                source,
                kind,
                origin,
                tool,
                f"{act.get('action')} {code}" + (f" by {agent}" if agent else ""),
            )
        )
    for ing in active.get("ingredients", []) or []:
        title = ing.get("title") or "untitled"
        out.append(
            evidence(
                source,
                "ingredient",
                None,
                None,
                f"ingredient {title} ({ing.get('relationship', 'componentOf')})",
            )
        )
    if state == "invalid":
        codes = [
            s.get("code")
            for s in store.get("validation_status", []) or []
            if "untrusted" not in str(s.get("code"))
        ]
        out.append(
            evidence(
                source,
                "integrity",
                None,
                None,
                "manifest invalid: " + (", ".join(c for c in codes if c) or "validation failed"),
            )
        )
    if not out:
        out.append(
            evidence(
                source,
                kind,
                None,
                None,
                f"manifest by {generator or 'unknown generator'}, no source type stated",
            )
        )
    return ExtractResult(out, {"present": True, "state": state})


def _generator(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict) and info[0].get("name"):
        return str(info[0]["name"])
    gen = manifest.get("claim_generator")
    return str(gen) if gen else None


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for a in manifest.get("assertions", []) or []:
        if str(a.get("label", "")).startswith("c2pa.actions"):
            out.extend(
                x for x in (a.get("data", {}) or {}).get("actions", []) or [] if isinstance(x, dict)
            )
    return out


def _agent(agent: Any) -> str | None:
    if isinstance(agent, dict):
        return str(agent.get("name")) if agent.get("name") else None
    return str(agent) if agent else None


def _tool_name(agent: str | None) -> str | None:
    if not agent:
        return None
    from reelprov.extract.tools import table

    found = table().find(agent)
    return found[0].name if found else agent
