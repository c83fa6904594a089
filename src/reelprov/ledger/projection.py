"""Ledger entries → asset, flag and cut state. The same code serves live appends, rebuild and verify."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from reelprov.classify import classify
from reelprov.contract import DeclarationJson, FlagStepJson, UseStepJson
from reelprov.extract.plugin import Evidence
from reelprov.ledger import entries
from reelprov.ledger.reader import path_key
from reelprov.ledger.records import AssetState, CutState, FlagState, UseState

K = TypeVar("K")
R = TypeVar("R")


def _new_asset(project: str, asset_id: str, payload: entries.Seen, seq: int) -> AssetState:
    return {
        "id": asset_id,
        "project": project,
        "path": payload["path"],
        "path_key": path_key(payload["path"]),
        "sha256": payload["sha256"],
        "size": payload["size"],
        "media_type": payload.get("media_type", "application/octet-stream"),
        "deleted": False,
        "origin": "unknown",
        "tools": [],
        "evidence": [],
        "evidence_sha256": None,
        "c2pa_present": False,
        "c2pa_state": "none",
        "tags": [],
        "stage_override": None,
        "declarations": [],
        "cuts": [],
        "first_seq": seq,
        "last_seq": seq,
    }


def declaration_evidence(decl: Mapping[str, Any], sha256: str | None = None) -> Evidence:
    """A declared use is evidence in its own right (who said it, which tool, why). A declaration of
    human origin made about other content than the file's now (SHA256) vouches for nothing: the
    file changed since, and no evidence means unknown. Declared AI use still counts (a new version
    of AI work is reviewed again, not cleared). Declarations from before reelprov bound them to
    content carry no sha256 and count as they always did."""
    detail = decl.get("note") or decl.get("purpose") or "declared"
    by = decl.get("by")
    origin = decl.get("origin")
    made_for = decl.get("sha256")
    if origin == "human" and made_for and sha256 and made_for != sha256:
        origin = None
        detail = f"{detail} (declared for earlier content {made_for[:12]}; not evidence for this content)"
    return {
        "source": "declaration" + (f" by {by}" if by else ""),
        "kind": "declaration",
        "origin": origin,
        "tool": decl.get("tool"),
        "detail": detail,
    }


def _use_step(
    use: UseState, seq: int, ts: str, event: str, by: str, ref: str | None, note: str | None
) -> None:
    """Add to USE's trail: proposed, a decision, closed; who and when."""
    step = UseStepJson(seq=seq, ts=ts, event=event, by=by)
    if ref:
        step["ref"] = ref
    if note:
        step["note"] = note
    use["trail"] = [*use["trail"], step]


def recompute_origin(asset: AssetState) -> None:
    sha = asset.get("sha256")
    items = list(asset["evidence"]) + [declaration_evidence(d, sha) for d in asset["declarations"]]
    asset["origin"], asset["tools"] = classify(items)


class Projection:
    """In-memory projection state with an optional loader for rows not yet in memory."""

    def __init__(
        self,
        project: str,
        *,
        load_asset: Callable[[str], AssetState | None] | None = None,
        load_flag: Callable[[int], FlagState | None] | None = None,
        load_cut: Callable[[str], CutState | None] | None = None,
        load_uses: Callable[[], list[UseState]] | None = None,
    ) -> None:
        self.project = project
        self.assets: dict[str, AssetState] = {}
        self.flags: dict[int, FlagState] = {}
        self.cuts: dict[str, CutState] = {}
        self.uses: dict[str, UseState] = {}  # intended uses (uses/): few, loaded all at once
        self.dirty_uses: set[str] = set()
        self.new_assets: set[str] = set()
        self.new_flags: set[int] = set()
        self.dirty_assets: set[str] = set()
        self.dirty_flags: set[int] = set()
        self.dirty_cuts: set[str] = set()
        self.removed_cuts: set[str] = set()  # removed in this batch: not to be loaded again
        self.fresh: set[str] = set()  # ids minted in this batch: never in the database yet
        # every path an in-memory asset has had; lookups re-check the asset's current path
        self.by_path: dict[str, set[str]] = {}
        self.flags_by_asset: dict[str, set[int]] = {}
        self._load_asset = load_asset
        self._load_flag = load_flag
        self._load_cut = load_cut
        self._load_uses = load_uses
        self._actor = ""

    def reset(self) -> None:
        """Forget every asset and flag (verify replays one asset at a time); cuts stay."""
        for held in (self.assets, self.flags, self.by_path, self.flags_by_asset):
            held.clear()
        for marks in (self.new_assets, self.new_flags, self.dirty_assets, self.dirty_flags):
            marks.clear()

    # -- lookups ---------------------------------------------------------------------------
    @staticmethod
    def _get(cache: dict[K, R], key: K, loader: Callable[[K], R | None] | None) -> R | None:
        if key not in cache and loader is not None:
            row = loader(key)
            if row is not None:
                cache[key] = row
        return cache.get(key)

    def asset(self, asset_id: str) -> AssetState | None:
        loader = None if asset_id in self.fresh else self._load_asset
        asset = self._get(self.assets, asset_id, loader)
        if asset is not None:
            self._index(asset)
        return asset

    def _index(self, asset: AssetState) -> None:
        if self._load_asset is not None:  # only live batches look up by path; replays skip it
            self.by_path.setdefault(asset["path"], set()).add(asset["id"])

    def remember_asset(self, asset: AssetState) -> None:
        """Keep an asset row loaded in bulk in memory, as a lookup of it would."""
        if asset["id"] not in self.fresh:
            self._index(self.assets.setdefault(asset["id"], asset))

    def flag(self, flag_id: int) -> FlagState | None:
        flag = self._get(self.flags, flag_id, self._load_flag)
        if flag is not None:
            self.remember_flag(flag)
        return flag

    def remember_flag(self, flag: FlagState) -> FlagState:
        """Keep a flag row (loaded or raised) in memory, findable by its asset."""
        flag = self.flags.setdefault(flag["id"], flag)
        self.flags_by_asset.setdefault(flag["asset"], set()).add(flag["id"])
        return flag

    def cut(self, name: str) -> CutState | None:
        return None if name in self.removed_cuts else self._get(self.cuts, name, self._load_cut)

    def all_uses(self) -> dict[str, UseState]:
        """Every intended use of the project, as this batch leaves them (loaded once)."""
        if self._load_uses is not None:
            for row in self._load_uses():
                self.uses.setdefault(row["id"], row)
            self._load_uses = None
        return self.uses

    def _need_use(self, use_id: str) -> UseState:
        use = self.all_uses().get(use_id)
        if use is None:
            raise ValueError(f"entry for unknown intended use {use_id}")
        return use

    def _touch_asset(self, asset: AssetState, seq: int) -> None:
        asset["last_seq"] = seq
        self.dirty_assets.add(asset["id"])
        self._index(asset)

    def _need_asset(self, asset_id: str | None, kind: str) -> AssetState:
        asset = self.asset(asset_id) if asset_id else None
        if asset is None:
            raise ValueError(f"{kind} entry for unknown asset {asset_id}")
        return asset

    # -- the one place an entry becomes state ----------------------------------------------
    def apply_row(self, m: Mapping[str, Any]) -> None:
        """apply() of a ledger_entry row as read from the database (its payload JSON text)."""
        self.apply(
            seq=m["seq"],
            asset_id=m["asset"],
            kind=m["kind"],
            payload=json.loads(m["payload"]),
            ts=m["ts"],
            actor=m["actor"],
        )

    def apply(
        self,
        *,
        seq: int,
        asset_id: str | None,
        kind: str,
        payload: Mapping[str, Any],
        ts: str,
        actor: str = "",
    ) -> None:
        handler = _HANDLERS.get(kind)
        if handler is None:
            return  # kinds that only carry history (e.g. notes) change no state
        self._actor = actor  # who wrote the entry: a flag's trail names them
        handler(self, seq=seq, asset_id=asset_id, payload=payload, ts=ts)

    def _on_seen(self, *, seq: int, asset_id: str | None, payload: entries.Seen, ts: str) -> None:
        assert asset_id
        existing = self.asset(asset_id)
        if existing is None:
            self.assets[asset_id] = _new_asset(self.project, asset_id, payload, seq)
            self.new_assets.add(asset_id)
            self.dirty_assets.add(asset_id)
            self._index(self.assets[asset_id])
            if "evidence" in payload:
                self._found(self.assets[asset_id], payload)
            return
        # seen again after a delete: the same identity came back
        existing.update(
            {"path": payload["path"], "path_key": path_key(payload["path"]), "deleted": False}
        )
        self._content(existing, payload)
        self._touch_asset(existing, seq)

    def _content(self, asset: AssetState, payload: Mapping[str, Any]) -> None:
        """ASSET's content as PAYLOAD (a seen, changed or moved entry's: entries.Content) says, and
        what reading it found where the entry says (seen and changed entries since 2026-12-07)."""
        asset["sha256"] = payload["sha256"]
        asset["size"] = payload["size"]
        asset["media_type"] = payload.get("media_type", asset["media_type"])
        if "evidence" in payload:
            self._found(asset, payload)
        elif asset["evidence_sha256"] != asset["sha256"]:
            asset["evidence"] = []
            asset["c2pa_present"], asset["c2pa_state"] = False, "none"
            recompute_origin(asset)

    def _on_changed(
        self, *, seq: int, asset_id: str | None, payload: entries.Changed, ts: str
    ) -> None:
        asset = self._need_asset(asset_id, "changed")
        self._content(asset, payload)
        if "path" in payload:
            asset["path"], asset["path_key"] = payload["path"], path_key(payload["path"])
        self._touch_asset(asset, seq)

    def _on_moved(self, *, seq: int, asset_id: str | None, payload: entries.Moved, ts: str) -> None:
        asset = self._need_asset(asset_id, "moved")
        asset["path"], asset["path_key"] = payload["to"], path_key(payload["to"])
        asset["deleted"] = False
        if "sha256" in payload:
            self._content(asset, payload)
        self._touch_asset(asset, seq)

    def _on_deleted(
        self, *, seq: int, asset_id: str | None, payload: entries.Deleted, ts: str
    ) -> None:
        asset = self._need_asset(asset_id, "deleted")
        asset["deleted"] = True
        self._touch_asset(asset, seq)

    def _on_evidence(
        self, *, seq: int, asset_id: str | None, payload: entries.EvidenceFound, ts: str
    ) -> None:
        asset = self._need_asset(asset_id, "evidence")
        if payload["sha256"] != asset["sha256"]:
            return  # evidence about content the file no longer has
        self._found(asset, payload)
        self._touch_asset(asset, seq)

    def _found(self, asset: AssetState, payload: Mapping[str, Any]) -> None:
        """What a reading of ASSET's content found (an evidence entry's, or a seen or changed
        entry's own)."""
        asset["evidence"] = payload.get("evidence", [])
        asset["evidence_sha256"] = payload["sha256"]
        c2pa = payload.get("c2pa", {})
        asset["c2pa_present"] = bool(c2pa.get("present", False))
        asset["c2pa_state"] = c2pa.get("state", "none")
        recompute_origin(asset)

    def _on_declared(
        self, *, seq: int, asset_id: str | None, payload: entries.Declared, ts: str
    ) -> None:
        asset = self._need_asset(asset_id, "declared")
        decl = cast("DeclarationJson", dict(payload))
        decl.setdefault("at", ts)
        asset["declarations"] = [*asset["declarations"], decl]
        recompute_origin(asset)
        self._touch_asset(asset, seq)

    def _on_tagged(
        self, *, seq: int, asset_id: str | None, payload: entries.Tagged, ts: str
    ) -> None:
        asset = self._need_asset(asset_id, "tagged")
        tags = [t for t in asset["tags"] if t not in payload.get("remove", [])]
        tags += [t for t in payload.get("add", []) if t not in tags]
        asset["tags"] = sorted(tags)
        if "stage" in payload:
            asset["stage_override"] = payload["stage"]
        self._touch_asset(asset, seq)

    def _on_used_in_cut(
        self, *, seq: int, asset_id: str | None, payload: entries.UsedInCut, ts: str
    ) -> None:
        asset = self._need_asset(asset_id, "used_in_cut")
        if payload["cut"] not in asset["cuts"]:
            asset["cuts"] = sorted([*asset["cuts"], payload["cut"]])
        self._touch_asset(asset, seq)

    def _on_left_cut(
        self, *, seq: int, asset_id: str | None, payload: entries.LeftCut, ts: str
    ) -> None:
        asset = self._need_asset(asset_id, "left_cut")
        asset["cuts"] = [c for c in asset["cuts"] if c != payload["cut"]]
        self._touch_asset(asset, seq)

    def _on_cut_removed(
        self, *, seq: int, asset_id: str | None, payload: entries.CutRemoved, ts: str
    ) -> None:
        name = payload["name"]
        self.cuts.pop(name, None)
        self.removed_cuts.add(name)
        self.dirty_cuts.add(name)  # written as a deletion: no row for it

    def _on_cut_imported(
        self, *, seq: int, asset_id: str | None, payload: entries.CutImported, ts: str
    ) -> None:
        name = payload["name"]
        self.removed_cuts.discard(name)
        self.cuts[name] = {
            "project": self.project,
            "name": name,
            "source": payload["source"],
            "rate": float(payload["rate"]),
            "imported_at": ts,
            "imported_seq": seq,
            "events": payload["events"],
            "unmatched": payload["unmatched"],
        }
        self.dirty_cuts.add(name)

    def _on_use_proposed(
        self, *, seq: int, asset_id: str | None, payload: entries.UseProposed, ts: str
    ) -> None:
        uid = payload["use_id"]
        self.all_uses()[uid] = {
            "project": self.project,
            "id": uid,
            "number": int(uid.rpartition("-")[2]),
            "tool": payload["tool"],
            "purpose": payload["purpose"],
            "area": payload["area"],
            "risk": payload["risk"],
            "matrix_risk": payload["matrix_risk"],
            "scope": list(payload["scope"]),
            "answers": dict(payload["answers"]),
            "escalated": list(payload["escalated"]),
            "note": payload.get("note"),
            "proposed_by": payload["by"],
            "proposed_at": ts,
            "proposed_seq": seq,
            "status": "recorded" if payload["risk"] == "low" else "proposed",
            "decided_by": None,
            "ref": None,
            "decided_at": None,
            "closed_by": None,
            "closed_at": None,
            "closed_seq": None,
            "last_seq": seq,
            "trail": [{"seq": seq, "ts": ts, "event": "proposed", "by": payload["by"]}],
        }
        self.dirty_uses.add(uid)

    def _on_use_decided(
        self, *, seq: int, asset_id: str | None, payload: entries.UseDecided, ts: str
    ) -> None:
        use = self._need_use(payload["use_id"])
        use.update(
            {
                "status": payload["decision"],
                "decided_by": payload["by"],
                "ref": payload.get("ref"),
                "decided_at": ts,
                "last_seq": seq,
            }
        )
        _use_step(
            use,
            seq,
            ts,
            payload["decision"],
            payload["by"],
            payload.get("ref"),
            payload.get("note"),
        )
        self.dirty_uses.add(use["id"])

    def _on_use_closed(
        self, *, seq: int, asset_id: str | None, payload: entries.UseClosed, ts: str
    ) -> None:
        use = self._need_use(payload["use_id"])
        use.update(
            {"closed_by": payload["by"], "closed_at": ts, "closed_seq": seq, "last_seq": seq}
        )
        _use_step(use, seq, ts, "closed", payload["by"], None, payload.get("note"))
        self.dirty_uses.add(use["id"])

    def _on_flagged(
        self, *, seq: int, asset_id: str | None, payload: entries.Flagged, ts: str
    ) -> None:
        fid = int(payload["flag_id"])
        assert asset_id
        self.flags[fid] = {
            "project": self.project,
            "id": fid,
            "asset": asset_id,
            "rule": payload["rule"],
            "area": payload["area"],
            "severity": payload["severity"],
            "status": "open",
            "reason": payload["reason"],
            "sha256": payload["sha256"],
            "decided_by": None,
            "ref": None,
            "note": None,
            "decided_at": None,
            "raised_seq": seq,
            "last_seq": seq,
            "decided_severity": None,
            "trail": [],
        }
        self.remember_flag(self.flags[fid])
        self.new_flags.add(fid)
        self.dirty_flags.add(fid)

    def _need_flag(self, flag_id: int) -> FlagState:
        flag = self.flag(int(flag_id))
        if flag is None:
            raise ValueError(f"entry for unknown flag {flag_id}")
        return flag

    def _trail(self, flag: FlagState, seq: int, ts: str, event: str, **what: Any) -> None:
        """Add to FLAG's trail: every decision and every change of its status or severity, with who
        and when, so the report can show what no longer stands (a revoked approval, a flag an untag
        resolved) next to what does."""
        by = what.pop("by", None) or self._actor
        # WHAT: FlagStepJson's optional keys, as each handler names them
        item = cast(
            "FlagStepJson",
            {"seq": seq, "at": ts, "by": by, "event": event}
            | {k: v for k, v in what.items() if v is not None},
        )
        flag["trail"] = [*(flag.get("trail") or []), item]

    def _on_flag_reopened(
        self, *, seq: int, asset_id: str | None, payload: entries.FlagReopened, ts: str
    ) -> None:
        flag = self._need_flag(payload["flag_id"])
        self._trail(
            flag,
            seq,
            ts,
            "reopened",
            was=payload.get("was", flag["status"]),
            why=payload.get("why"),
            severity=payload.get("severity", flag["severity"]),
            sha256=payload["sha256"],
        )
        _undecided(flag, seq)
        flag.update(
            {
                "sha256": payload["sha256"],
                "reason": payload.get("reason", flag["reason"]),
                "severity": payload.get("severity", flag["severity"]),
            }
        )
        self.dirty_flags.add(flag["id"])

    def _on_flag_updated(
        self, *, seq: int, asset_id: str | None, payload: entries.FlagUpdated, ts: str
    ) -> None:
        flag = self._need_flag(payload["flag_id"])
        if payload["severity"] != flag["severity"]:
            self._trail(
                flag,
                seq,
                ts,
                "severity",
                was=flag["severity"],
                severity=payload["severity"],
                why=payload.get("why"),
            )
        flag.update({"reason": payload["reason"], "severity": payload["severity"], "last_seq": seq})
        self.dirty_flags.add(flag["id"])

    def _on_flag_resolved(
        self, *, seq: int, asset_id: str | None, payload: entries.FlagResolved, ts: str
    ) -> None:
        flag = self._need_flag(payload["flag_id"])
        self._trail(
            flag,
            seq,
            ts,
            "resolved",
            was=flag["status"],
            why=payload.get("because") or payload.get("reason"),
            by=payload.get("by"),
            ref=payload.get("ref"),
        )
        flag.update({"status": "resolved", "last_seq": seq})
        self.dirty_flags.add(flag["id"])

    def _on_decided(
        self, *, seq: int, asset_id: str | None, payload: entries.Decided, ts: str
    ) -> None:
        flag = self._need_flag(payload["flag_id"])
        # The severity it was decided at: an approval given at review does not cover the same flag
        # raised to escalate later (the policy engine reopens it). Older entries did not say: the
        # flag's severity then.
        severity = payload.get("severity", flag["severity"])
        self._trail(
            flag,
            seq,
            ts,
            "decided",
            by=payload["by"],
            decision=payload["decision"],
            ref=payload.get("ref"),
            note=payload.get("note"),
            severity=severity,
            sha256=payload.get("sha256"),
            use=payload.get(
                "use"
            ),  # taken by the approval of an intended use ([review] use_approval_covers)
        )
        flag.update(
            {
                "status": payload["decision"],
                "decided_by": payload["by"],
                "ref": payload.get("ref"),
                "note": payload.get("note"),
                "decided_at": ts,
                "decided_severity": severity,
                "last_seq": seq,
            }
        )
        self.dirty_flags.add(flag["id"])

    def _on_revoked(
        self, *, seq: int, asset_id: str | None, payload: entries.Revoked, ts: str
    ) -> None:
        """A decision taken back: the flag is open again; the decision stays in the trail."""
        flag = self._need_flag(payload["flag_id"])
        self._trail(
            flag,
            seq,
            ts,
            "revoked",
            by=payload["by"],
            was=flag["status"],
            note=payload.get("note"),
            ref=payload.get("ref"),
        )
        _undecided(flag, seq)
        self.dirty_flags.add(flag["id"])


def _undecided(flag: FlagState, seq: int) -> None:
    """FLAG open again with no decision standing (its trail keeps every decision taken)."""
    flag.update(
        {
            "status": "open",
            "decided_by": None,
            "ref": None,
            "note": None,
            "decided_at": None,
            "decided_severity": None,
            "last_seq": seq,
        }
    )


# Entry kind -> the Projection method that applies it (`_on_<kind>`), looked up once, not per entry.
_HANDLERS: dict[str, Callable[..., None]] = {
    name.removeprefix("_on_"): fn
    for name, fn in vars(Projection).items()
    if name.startswith("_on_") and callable(fn)
}
