"""The entry hash's header text is exactly canonical() of the header: old ledgers keep verifying."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reelprov.ledger.chain import _header, canonical

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(
    project=text,
    seq=st.integers(min_value=0, max_value=2**62),
    asset=st.none() | text,
    kind=text,
    actor=text,
    host=text,
    ts=text,
    prev_hash=text,
)
def test_header_is_canonical_json(
    project: str,
    seq: int,
    asset: str | None,
    kind: str,
    actor: str,
    host: str,
    ts: str,
    prev_hash: str,
) -> None:
    want = canonical(
        {
            "project": project,
            "seq": seq,
            "asset": asset,
            "kind": kind,
            "actor": actor,
            "host": host,
            "ts": ts,
            "prev_hash": prev_hash,
        }
    )
    assert _header(project, seq, asset, kind, actor, host, ts, prev_hash) == want


def test_known_entry_hash_is_unchanged() -> None:
    """A hash computed by the first release: the definition must never drift."""
    from reelprov.ledger.chain import entry_hash

    h = entry_hash(
        project="p",
        seq=1,
        asset=None,
        kind="seen",
        payload='{"a":1}',
        actor="me",
        host="h",
        ts="2026-11-25T00:00:00.000000+00:00",
        prev_hash="0" * 64,
    )
    import hashlib

    header = (
        '{"actor":"me","asset":null,"host":"h","kind":"seen","prev_hash":"'
        + "0" * 64
        + '","project":"p","seq":1,"ts":"2026-11-25T00:00:00.000000+00:00"}'
    )
    assert h == hashlib.sha256((header + "\n" + '{"a":1}').encode()).hexdigest()
