"""Evaluating policy rules against assets and keeping flags in step, idempotently, in the batch."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from reelprov.classify import ORIGINS
from reelprov.config import ProjectConfig, read_setting
from reelprov.errors import ClearanceRequired, ConfigError
from reelprov.names import one_line
from reelprov.policy import AREAS, CLEARED, SEVERITIES, STAGES, TAGS, UNRESOLVED, Clearance
from reelprov.stages import stage_of, tags_of
from reelprov.uses import FILE_USE_STATUSES
from reelprov.uses.link import UseLink, link

if TYPE_CHECKING:
    from reelprov.events import FlagEvent
    from reelprov.ledger import Batch, entries
    from reelprov.ledger.records import FlagState

C2PA_STATES = ("none", "valid", "trusted", "invalid")
# The flag events evaluate_asset emits (their classes in events.py, built only when heard)
FlagChange = Literal["FlagRaised", "FlagReopened", "FlagResolved", "FlagUpdated"]
_WHEN_KEYS: dict[str, Any] = {
    "origin": ORIGINS,
    "stage": STAGES,
    "in_cut": bool,
    "headed_to_screen": bool,
    "tags_any": TAGS,
    "tool_approved": bool,
    "c2pa_state": C2PA_STATES,
    "media_kind": ("image", "audio", "video", "document", "other"),
    "tool_replicates": ("voice", "likeness"),
    "declared_against_file": bool,
    "use_status": FILE_USE_STATUSES,
}


MAX_RULE_ID = 100  # the flag table's rule column (models.FLAG)


def severity_rank(s: str) -> int:
    return SEVERITIES.index(s) if s in SEVERITIES else -1


@dataclass(frozen=True)
class Rule:
    id: str
    area: str
    severity: str
    message: str
    when: dict[str, Any]
    severity_on_screen: str | None = None  # the severity while the file is headed to screen

    def severity_for(self, f: Facts) -> str:
        if self.severity_on_screen and (f.stage == "final" or f.in_cut):
            return self.severity_on_screen
        return self.severity


@dataclass
class Policy:
    rules: list[Rule]
    source: str
    approved_tools: list[str] = field(default_factory=list)

    def by_area(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {}
        for r in self.rules:
            out.setdefault(r.area, []).append(r)
        return out


def parse_policy(text: str, source: str) -> list[Rule]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: TOML syntax error: {exc}") from None
    unknown = set(raw) - {"rule"}
    if unknown:
        raise ConfigError(
            f"{source}: unknown field {sorted(unknown)[0]!r}; a policy holds [[rule]] tables only"
        )
    rules: list[Rule] = []
    ids: set[str] = set()
    if not isinstance(raw.get("rule", []), list):
        raise ConfigError(f"{source}: `rule` must be an array of tables ([[rule]] blocks)")
    for i, r in enumerate(raw.get("rule", []), 1):
        if not isinstance(r, dict):
            raise ConfigError(
                f"{source}: rule {i} is not a table; write each rule as a [[rule]] block"
            )
        where = f"{source}: rule {r.get('id', i)}"
        extra = set(r) - {"id", "area", "severity", "severity_on_screen", "message", "when"}
        if extra:
            raise ConfigError(
                f"{where}: unknown field {sorted(extra)[0]!r}; allowed: id, area, severity, "
                "severity_on_screen, message, when"
            )
        for key in ("id", "area", "severity", "message"):
            if not isinstance(r.get(key), str) or not r[key]:
                raise ConfigError(f"{where}: `{key}` is required")
        if r["id"] in ids:
            raise ConfigError(f"{where}: duplicate rule id")
        if len(r["id"]) > MAX_RULE_ID:
            raise ConfigError(
                f"{where}: a rule id of {len(r['id'])} characters; the ledger keeps at most {MAX_RULE_ID}"
            )
        ids.add(r["id"])
        if r["area"] not in AREAS:
            raise ConfigError(f"{where}: area must be one of {', '.join(AREAS)}")
        if r["severity"] not in SEVERITIES:
            raise ConfigError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        on_screen = r.get("severity_on_screen")
        if on_screen is not None and on_screen not in SEVERITIES:
            raise ConfigError(f"{where}: severity_on_screen must be one of {', '.join(SEVERITIES)}")
        _check_message(where, r["message"])
        when = r.get("when", {})
        if not isinstance(when, dict):
            raise ConfigError(f"{where}: `when` must be a table of conditions")
        for key, value in when.items():
            if key not in _WHEN_KEYS:
                raise ConfigError(
                    f"{where}: unknown condition {key!r}; allowed: {', '.join(_WHEN_KEYS)}"
                )
            allowed = _WHEN_KEYS[key]
            if allowed is bool:
                if not isinstance(value, bool):
                    raise ConfigError(f"{where}: {key} must be true or false")
            elif not isinstance(value, list) or any(v not in allowed for v in value):
                raise ConfigError(f"{where}: {key} must be a list drawn from {', '.join(allowed)}")
        rules.append(Rule(r["id"], r["area"], r["severity"], r["message"], dict(when), on_screen))
    return rules


MESSAGE_FIELDS = ("origin", "stage", "tools", "tags", "cuts", "use")  # what reason() fills in


def _check_message(where: str, message: str) -> None:
    """A message may use only the placeholders reason() fills in; caught here, not mid-scan."""
    import string

    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(message) if f is not None]
        bad = next((f for f in fields if f not in MESSAGE_FIELDS), None)
        if bad is None:
            message.format_map(dict.fromkeys(MESSAGE_FIELDS, ""))
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ConfigError(
            f"{where}: message cannot be filled in ({exc}); write literal braces as {{{{ }}}}"
        ) from None
    if bad is not None:
        raise ConfigError(
            f"{where}: message uses {{{bad}}}; placeholders are "
            + " ".join("{" + f + "}" for f in MESSAGE_FIELDS)
        )


def load_policy(cfg: ProjectConfig) -> Policy:
    if cfg.policy_file is not None:
        text = read_setting(cfg.policy_file, "the project policy")
        source = str(cfg.policy_file)
    else:
        from importlib import resources

        text = (resources.files("reelprov.policy") / "default.toml").read_text(encoding="utf-8")
        source = "default policy (reelprov/policy/default.toml)"
    return Policy(parse_policy(text, source), source, list(cfg.approved_tools))


class Facts(NamedTuple):
    """What the rules read of a file (facts()). A named tuple: one is built for every file a batch
    touches, and a frozen dataclass took 3 us of the writer's time a file to build, this 0.5."""

    origin: str
    stage: str
    in_cut: bool
    tags: tuple[str, ...]
    tools: tuple[str, ...]
    c2pa_state: str
    media_kind: str
    cuts: tuple[str, ...]
    replicates: tuple[str, ...] = ()  # what of a person the named tools make (tools.json)
    declared_against_file: bool = False  # declared human-made, but the file's own metadata says AI
    use: UseLink | None = None  # the intended use the file belongs to (uses/link.py)

    @property
    def use_status(self) -> str:
        return self.use.status if self.use is not None else "none"

    def key(self) -> tuple[Any, ...]:
        """What rules match on (matches, severity_for): the use only by its status."""
        return (
            self.origin,
            self.stage,
            self.in_cut,
            self.tags,
            self.tools,
            self.c2pa_state,
            self.media_kind,
            self.replicates,
            self.declared_against_file,
            self.use_status,
        )


def _declared_against_file(asset: Mapping[str, Any]) -> bool:
    """A declaration says less AI than the file's own metadata does (classify.declared_below_file)."""
    if not asset["declarations"] and not asset["evidence"]:
        return False  # nothing declared, nothing read (most frames of a sequence)
    from reelprov.classify import declared_below_file
    from reelprov.ledger.projection import declaration_evidence

    return declared_below_file(
        [
            *(asset["evidence"] or []),
            *(declaration_evidence(d, asset["sha256"]) for d in asset["declarations"] or []),
        ]
    )


def facts(
    asset: Mapping[str, Any],
    cfg: ProjectConfig,
    uses: Mapping[str, Mapping[str, Any]] | None = None,
) -> Facts:
    """What the rules read of ASSET; USES: the project's intended uses by id (none: no use
    registered, so no file is covered)."""
    from reelprov.mediatypes import media_kind

    return Facts(
        origin=asset["origin"],
        stage=stage_of(asset, cfg),
        in_cut=bool(asset["cuts"]),
        tags=tuple(tags_of(asset, cfg)),
        tools=tuple(asset["tools"]),
        c2pa_state=asset["c2pa_state"],
        media_kind=media_kind(asset["media_type"]),
        cuts=tuple(asset["cuts"]),
        replicates=_replicates(tuple(asset["tools"])) if asset["tools"] else (),
        declared_against_file=_declared_against_file(asset),
        use=link(asset, uses or {}),
    )


@lru_cache(maxsize=256)
def _replicates(tools: tuple[str, ...]) -> tuple[str, ...]:
    from reelprov.extract.tools import table

    known = table()
    return tuple(sorted({r for name in tools if (t := known.by_name(name)) for r in t.replicates}))


def _tool_ok(tool: str, approved: list[str]) -> bool:
    """A tool is approved when an entry of the list names it (extract.tools.names_tool)."""
    from reelprov.extract.tools import names_tool

    return any(names_tool(a, tool) for a in approved)


def matches(rule: Rule, f: Facts, approved: list[str]) -> bool:
    w = rule.when
    if "origin" in w and f.origin not in w["origin"]:
        return False
    if "stage" in w and f.stage not in w["stage"]:
        return False
    if "in_cut" in w and f.in_cut != w["in_cut"]:
        return False
    if "headed_to_screen" in w and (f.stage == "final" or f.in_cut) != w["headed_to_screen"]:
        return False
    if "tags_any" in w and not set(w["tags_any"]) & set(f.tags):
        return False
    if "tool_approved" in w:
        if not f.tools:
            return False  # no tool named: nothing to check against the list
        all_ok = all(_tool_ok(t, approved) for t in f.tools)
        if all_ok != w["tool_approved"]:
            return False
    if "c2pa_state" in w and f.c2pa_state not in w["c2pa_state"]:
        return False
    if "tool_replicates" in w and not set(w["tool_replicates"]) & set(f.replicates):
        return False
    if "declared_against_file" in w and f.declared_against_file != w["declared_against_file"]:
        return False
    if "use_status" in w and f.use_status not in w["use_status"]:
        return False
    return not ("media_kind" in w and f.media_kind not in w["media_kind"])


def why_not(rule: Rule, f: Facts, approved: list[str], *, deleted: bool = False) -> str:
    """Why RULE no longer matches: the first of its conditions that fails now, in words."""
    if deleted:
        return "the file was deleted from the project and no current cut uses it"
    w = rule.when
    checks: list[tuple[bool, str]] = [
        ("origin" in w and f.origin not in w["origin"], f"origin is now {f.origin}"),
        ("stage" in w and f.stage not in w["stage"], f"stage is now {f.stage}"),
        (
            "in_cut" in w and f.in_cut != w["in_cut"],
            "it is in no current cut" if not f.in_cut else "it is in a cut",
        ),
        (
            "headed_to_screen" in w and (f.stage == "final" or f.in_cut) != w["headed_to_screen"],
            f"no longer headed to screen (stage {f.stage}, in no current cut)",
        ),
        (
            "tags_any" in w and not set(w["tags_any"]) & set(f.tags),
            f"it no longer has any of the tags {', '.join(w.get('tags_any', ()))}",
        ),
        (
            "tool_approved" in w
            and (not f.tools or all(_tool_ok(t, approved) for t in f.tools) != w["tool_approved"]),
            "the tools are now " + (", ".join(f.tools) or "none named"),
        ),
        (
            "c2pa_state" in w and f.c2pa_state not in w["c2pa_state"],
            f"Content Credentials are now {f.c2pa_state}",
        ),
        (
            "tool_replicates" in w and not set(w["tool_replicates"]) & set(f.replicates),
            "no tool that replicates people",
        ),
        (
            "declared_against_file" in w and f.declared_against_file != w["declared_against_file"],
            "the declaration no longer contradicts the file",
        ),
        (
            "media_kind" in w and f.media_kind not in w["media_kind"],
            f"media kind is now {f.media_kind}",
        ),
        (
            "use_status" in w and f.use_status not in w["use_status"],
            f"it is now under {f.use.describe() if f.use else 'no use'}",
        ),
    ]
    return next(
        (text for failed, text in checks if failed),
        "the rule's conditions no longer hold (policy changed)",
    )


def reason(rule: Rule, f: Facts, approved: list[str]) -> str:
    matched = [t for t in f.tags if t in rule.when.get("tags_any", f.tags)]
    unapproved = [t for t in f.tools if not _tool_ok(t, approved)] or list(f.tools)
    return rule.message.format_map(
        {
            "origin": f.origin,
            "stage": f.stage,
            "tools": ", ".join(unapproved) or "no named tool",
            "tags": ", ".join(matched) or "no tags",
            "cuts": (", in cut " + ", ".join(f.cuts)) if f.cuts else "",
            "use": f.use.describe() if f.use else "no registered use covers it",
        }
    )


# The ledger entries that change a flag's life, by what a summary calls them.
_FLAG_CHANGES = {
    "flagged": "raised",
    "flag_reopened": "reopened",
    "flag_resolved": "resolved",
    "flag_updated": "updated",
}


def flag_changes(entries: list[dict[str, Any]]) -> dict[str, int]:
    """How many flags a batch's ENTRIES raised, reopened and resolved."""
    out = dict.fromkeys(_FLAG_CHANGES.values(), 0)
    for e in entries:
        if (key := _FLAG_CHANGES.get(e["kind"])) is not None:
            out[key] += 1
    return out


# How a reopened flag's note names what it was when its content changed: "since it was approved".
_SINCE = {"open": "raised"}
# What a reopened flag's reason adds after the rule's own text: kept when that text is brought up to date.
_CONTEXT = (" (content changed since it was ", " (this content was rejected by ", " (raised to ")


def _rule_text(reason: str) -> tuple[str, str]:
    """A flag's REASON as (the rule's text, what a reopening added after it)."""
    cut = min((i for mark in _CONTEXT if (i := reason.find(mark)) >= 0), default=len(reason))
    return reason[:cut], reason[cut:]


def _check_clearance(
    b: Batch, flag: Mapping[str, Any], asset: Mapping[str, Any], outcome: str
) -> Clearance | None:
    """The person's change in this batch, if any; refused when it would clear an unresolved escalate
    or block flag (OUTCOME: resolve it, lower it) without a name and a written reference."""
    c: Clearance | None = b.clearance
    if (
        c is not None
        and c.required
        and not c.complete
        and flag["status"] in UNRESOLVED
        and severity_rank(flag["severity"]) >= severity_rank("escalate")
    ):
        raise ClearanceRequired(
            f"{c.what} would {outcome} flag {flag['id']} ({flag['severity']}/{flag['status']}, {flag['rule']}) on "
            f"{one_line(asset['path'])}: say who decides and the written approval reference ({{by}} NAME {{ref}} REF), as "
            "for an approval; nothing was recorded",
            inputs=("by", "ref"),
        )
    return c


def _reopen(
    b: Batch,
    asset_id: str,
    asset: Mapping[str, Any],
    flag: Mapping[str, Any],
    severity: str,
    reason: str,
    was: str,
    why: str,
) -> None:
    """Append FLAG's reopening at SEVERITY on ASSET's content, and its event."""
    b.append(
        "flag_reopened",
        asset_id,
        {
            "flag_id": flag["id"],
            "sha256": asset["sha256"],
            "reason": reason,
            "severity": severity,
            "was": was,
            "why": why,
        },
    )
    _flag_event(b, "FlagReopened", flag["id"], asset)


# The last policy's verdicts by facts: a scan's files mostly share a few sets of facts (a folder
# of frames: one), so each rule is matched once per set, not once per file. Bounded; dropped when
# the policy object changes (a settings reload makes a new one).
Verdicts = list[tuple[Rule, str, bool]]
_VERDICTS: tuple[Policy | None, dict[tuple[Any, ...], tuple[Verdicts, Verdicts]]] = (None, {})
_VERDICTS_MOST = 4096


def verdicts(policy: Policy, f: Facts) -> Verdicts:
    """Each rule of POLICY with the severity it asks for F and whether it matches F."""
    return _verdicts(policy, f)[0]


def hits(policy: Policy, f: Facts) -> Verdicts:
    """verdicts(POLICY, F) of the rules that match F only."""
    return _verdicts(policy, f)[1]


def _verdicts(policy: Policy, f: Facts) -> tuple[Verdicts, Verdicts]:
    global _VERDICTS
    held, memo = _VERDICTS
    if held is not policy or len(memo) >= _VERDICTS_MOST:
        _VERDICTS = (policy, {})
        memo = _VERDICTS[1]
    key = f.key()
    out = memo.get(key)
    if out is None:
        every = [
            (rule, rule.severity_for(f), matches(rule, f, policy.approved_tools))
            for rule in policy.rules
        ]
        out = memo[key] = (every, [v for v in every if v[2]])
    return out


def evaluate_asset(policy: Policy, cfg: ProjectConfig, b: Batch, asset_id: str) -> None:
    """Raise, reopen or resolve this asset's flags so they match the policy now. Idempotent."""
    asset = b.proj.asset(asset_id)
    if asset is None:
        return
    latest: dict[str, FlagState] = {}
    for raised in b.flags_for(asset_id):
        latest[raised["rule"]] = raised
    f = facts(asset, cfg, b.proj.all_uses())
    # A file deleted from the project but still in a current cut is still on screen (media
    # offline in the edit): its flags stand until the cut no longer uses it.
    gone = asset["deleted"] and not asset["cuts"]
    # with no flag raised on it, a rule the file does not match has nothing to do (most frames)
    for rule, sev, matched in verdicts(policy, f) if latest else hits(policy, f):
        hit = matched and not gone
        flag = latest.get(rule.id)
        if hit:
            why = reason(rule, f, policy.approved_tools)
            decided_at = flag and (flag["decided_severity"] or flag["severity"])
            if flag is None:
                fid = b.next_flag_id()
                b.append(
                    "flagged",
                    asset_id,
                    {
                        "flag_id": fid,
                        "rule": rule.id,
                        "area": rule.area,
                        "severity": sev,
                        "reason": why,
                        "sha256": asset["sha256"],
                    },
                )
                _flag_event(b, "FlagRaised", fid, asset)
            elif flag["status"] == "resolved" or flag["sha256"] != asset["sha256"]:
                was = flag["status"]
                changed = flag["sha256"] != asset["sha256"]
                note = (
                    why
                    if not changed
                    else (
                        f"{why} (content changed since it was {_SINCE.get(was, was)}: was {flag['sha256'][:12]}, now {asset['sha256'][:12]})"
                    )
                )
                if was == "resolved" and flag.get("decided_by") and not changed:
                    # only open and rejected flags resolve, so a decision kept on one is a rejection
                    note += (
                        f" (this content was rejected by {flag['decided_by']}"
                        + (f": {flag['note']}" if flag.get("note") else "")
                        + ")"
                    )
                why_reopened = "content changed" if changed else "the condition holds again"
                _reopen(b, asset_id, asset, flag, sev, note, was, why_reopened)
            elif flag["status"] in CLEARED and severity_rank(sev) > severity_rank(decided_at or ""):
                # decided at a lower severity than the rule now asks: that decision does not cover it
                note = (
                    f"{why} (raised to {sev} since it was {flag['status']} at {decided_at} by "
                    f"{flag['decided_by']}: decide it again)"
                )
                because = f"severity raised from {decided_at} to {sev}"
                _reopen(b, asset_id, asset, flag, sev, note, flag["status"], because)
            elif flag["status"] in UNRESOLVED and (
                _rule_text(flag["reason"])[0] != why or flag["severity"] != sev
            ):
                # still undecided: it says why as things are now (a tag, tool, stage, cut or the policy
                # changed). A decided flag keeps the reason it was decided on.
                payload: entries.FlagUpdated = {
                    "flag_id": flag["id"],
                    "reason": why + _rule_text(flag["reason"])[1],
                    "severity": sev,
                    "previous": flag["reason"],
                }
                if severity_rank(sev) < severity_rank(flag["severity"]):
                    c = _check_clearance(b, flag, asset, f"lower to {sev}")
                    payload["why"] = f"severity lowered from {flag['severity']} to {sev}" + (
                        f" by {c.what}" if c else " (the policy changed)"
                    )
                    if c:
                        payload = {**payload, **c.signature()}
                b.append("flag_updated", asset_id, payload)
                _flag_event(b, "FlagUpdated", flag["id"], asset)
        elif flag is not None and flag["status"] in UNRESOLVED:
            # a rejected element taken off screen has done what the rejection asked: no longer in the way
            c = _check_clearance(b, flag, asset, "resolve")
            because = why_not(rule, f, policy.approved_tools, deleted=gone)
            signed: entries.Signed = c.signature() if c else {}
            resolved: entries.FlagResolved = {
                "flag_id": flag["id"],
                "reason": "condition no longer holds",
                "because": because + (f" ({c.what})" if c else ""),
                **signed,
            }
            b.append("flag_resolved", asset_id, resolved)
            _flag_event(b, "FlagResolved", flag["id"], asset)
        if (hit and cfg.use_approval_covers) or (flag is not None and _by_use(flag)):
            _apply_use_cover(b, cfg, rule, sev, f, asset_id, asset)


def _covering_use(
    cfg: ProjectConfig, rule: Rule, severity: str, f: Facts
) -> Mapping[str, Any] | None:
    """The approved intended use whose approval clears RULE's flag on this file ([review]
    use_approval_covers names the rule or its area), if any. At escalate or above only an
    approval with a written reference covers, as for a flag decided by hand."""
    covers = cfg.use_approval_covers
    if not covers or f.use is None or f.use.use is None or f.use.status != "approved":
        return None
    if rule.id not in covers and rule.area not in covers:
        return None
    use = f.use.use
    if severity_rank(severity) >= severity_rank("escalate") and not use["ref"]:
        return None
    return use


def _by_use(flag: Mapping[str, Any]) -> str | None:
    """The intended use whose approval decided FLAG, when the decision in force came from one."""
    decided = [t for t in flag.get("trail") or [] if t["event"] == "decided"]
    return decided[-1].get("use") if decided and flag["status"] in CLEARED else None


def _apply_use_cover(
    b: Batch,
    cfg: ProjectConfig,
    rule: Rule,
    severity: str,
    f: Facts,
    asset_id: str,
    asset: Mapping[str, Any],
) -> None:
    """Keep RULE's flag on this file in step with the approval of the file's intended use: approve
    it while the use's approval covers it, take that approval back when it no longer does."""
    flag = next((x for x in b.flags_for(asset_id) if x["rule"] == rule.id), None)
    if flag is None:
        return
    use = _covering_use(cfg, rule, severity, f)
    if use is not None and flag["status"] == "open":
        note = f"covered by the approval of intended use {use['id']} ([review] use_approval_covers)"
        b.append(
            "decided",
            asset_id,
            {
                "flag_id": flag["id"],
                "decision": "approved",
                "by": use["decided_by"],
                "ref": use["ref"],
                "note": note,
                "sha256": flag["sha256"],
                "severity": flag["severity"],
                "use": use["id"],
            },
        )
        if b.heard:
            from reelprov.events import AssetRef, Decision, FlagDecided, FlagRef

            b.emit(
                FlagDecided(
                    flag=FlagRef.of(b.proj.flag(flag["id"]) or flag),
                    asset=AssetRef.of(asset),
                    decision=Decision("approved", use["decided_by"], use["ref"], note),
                )
            )
    elif use is None and (was := _by_use(flag)) is not None:
        why = f.use.describe() if f.use else "no use covers it"
        note = f"the approval of intended use {was} no longer covers it ({why})"
        b.append("revoked", asset_id, {"flag_id": flag["id"], "by": b.actor, "note": note})
        if b.heard:
            from reelprov.events import AssetRef, FlagRef, FlagRevoked, PriorDecision, Revocation

            prior = PriorDecision(
                flag["status"], flag["decided_by"], flag["ref"], flag["decided_at"]
            )
            b.emit(
                FlagRevoked(
                    flag=FlagRef.of(b.proj.flag(flag["id"]) or flag),
                    asset=AssetRef.of(asset),
                    revoked=Revocation(by=b.actor, note=note, ref=None, was=prior),
                )
            )


def _flag_event(b: Batch, kind: FlagChange, fid: int, asset: Mapping[str, Any]) -> None:
    """Flag FID's event of KIND (its class in events.py) on ASSET, if anything hears it."""
    if not b.heard:
        return
    from reelprov import events

    flag = b.proj.flag(fid)
    assert flag is not None
    made: type[FlagEvent] = getattr(events, kind)
    b.emit(made(flag=events.FlagRef.of(flag), asset=events.AssetRef.of(asset)))


def evaluate_batch(policy: Policy, cfg: ProjectConfig, b: Batch) -> None:
    b.preload_flags(sorted(b.touched_assets))
    # in path order: flags raised together are numbered as `ls` lists their files (and the same
    # changes number them the same way every time, whatever the assets' random ids)
    for aid in sorted(
        b.touched_assets, key=lambda aid: ((a := b.proj.asset(aid)) and a["path"] or "", aid)
    ):
        evaluate_asset(policy, cfg, b, aid)
