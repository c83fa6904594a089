"""The policy's verdicts are matched once per set of facts (policy/engine.py verdicts): what the
memo answers is what matching each rule answers, for every combination the default policy reads,
and a new policy (settings reloaded) is never answered from the old one's memo."""

from __future__ import annotations

import itertools
from importlib import resources

from reelprov.policy.engine import Facts, Policy, matches, parse_policy, verdicts
from reelprov.uses.link import UseLink

DEFAULT = (resources.files("reelprov.policy") / "default.toml").read_text(encoding="utf-8")


def _facts() -> list[Facts]:
    out = []
    for origin, stage, in_cut, tags, tools, c2pa, against, use in itertools.product(
        ("ai_generated", "ai_enhanced", "human", "unknown"),
        ("temp", "final"),
        (False, True),
        ((), ("story_relevant",), ("talent_likeness", "personal_data")),
        ((), ("Runway",), ("ElevenLabs",)),
        ("none", "invalid", "trusted"),
        (False, True),
        (None, UseLink({"id": "U-1", "status": "approved"}, "covered"), UseLink(None, "none")),
    ):
        out.append(
            Facts(
                origin=origin,
                stage=stage,
                in_cut=in_cut,
                tags=tags,
                tools=tools,
                c2pa_state=c2pa,
                media_kind="image",
                cuts=("reel1",) if in_cut else (),
                replicates=("voice",) if tools == ("ElevenLabs",) else (),
                declared_against_file=against,
                use=use,
            )
        )
    return out


def test_the_memo_answers_what_matching_each_rule_answers() -> None:
    policy = Policy(parse_policy(DEFAULT, "default"), "default", ["Runway"])
    for f in _facts() * 2:  # the second time from the memo
        assert verdicts(policy, f) == [
            (r, r.severity_for(f), matches(r, f, policy.approved_tools)) for r in policy.rules
        ]


def test_a_new_policy_is_not_answered_from_the_old_ones_memo() -> None:
    f = _facts()[0]  # AI-generated, temp, no tags: the default policy flags it for reporting
    before = Policy(parse_policy(DEFAULT, "default"), "default", [])
    assert any(hit for _r, _s, hit in verdicts(before, f))
    nothing = Policy([], "empty", [])
    assert verdicts(nothing, f) == []
    assert verdicts(Policy(parse_policy(DEFAULT, "default"), "default", []), f) == verdicts(
        before, f
    )
