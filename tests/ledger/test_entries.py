"""The ledger's format (ledger/entries.py): a record for every kind the projection applies, and the
check every test's entries go through (conftest.payload_misfit) catches what it should."""

from __future__ import annotations

from reelprov.ledger.entries import PAYLOADS
from reelprov.ledger.projection import _HANDLERS
from tests.conftest import payload_misfit


def test_every_kind_the_projection_applies_has_a_payload_record() -> None:
    assert set(PAYLOADS) == set(_HANDLERS)


def test_a_payload_unlike_its_record_is_caught() -> None:
    flagged = {
        "flag_id": 3,
        "rule": "screen.ai_headed_to_screen",
        "area": "screen",
        "severity": "review",
        "reason": "ai_generated element headed to screen",
        "sha256": "ab" * 32,
    }
    assert payload_misfit("flagged", flagged) is None
    assert payload_misfit("flagged", {k: v for k, v in flagged.items() if k != "sha256"}) == (
        "a 'flagged' entry: missing ['sha256'], not in its record []"
    )
    assert payload_misfit("flagged", {**flagged, "sha": "x"}) == (
        "a 'flagged' entry: missing [], not in its record ['sha']"
    )
    assert payload_misfit("note", {"n": 1}) is None  # history only: no record, no state
    # keys a record marks NotRequired may be left out (entries older versions wrote)
    assert payload_misfit("decided", {"flag_id": 3, "decision": "approved", "by": "ana"}) is None
    assert payload_misfit("moved", {"from": "a.png", "to": "b.png"}) is None
