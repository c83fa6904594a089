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


def test_new_asset_ids_are_time_ordered_uuids() -> None:
    """Asset ids stay 32 hex digits (a UUID, now version 7): made later, they sort later (from
    one millisecond to the next), so a scan's new assets land together in every index by id."""
    import time
    import uuid

    from reelprov.ledger.store import time_ordered_id

    first = time_ordered_id()
    time.sleep(0.002)
    later = [time_ordered_id() for _ in range(50)]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in [first, *later])
    assert all(uuid.UUID(i).version == 7 for i in later)
    assert all(first < i for i in later)
    assert len(set(later)) == 50


def test_a_forked_process_does_not_repeat_its_parents_ids() -> None:
    """The ids' random bits come from a generator seeded once per process: a fork (the watcher's
    reading processes, a hook's shepherd) reseeds, or parent and child would make the same ids."""
    import os

    from reelprov.ledger.store import _random_bits

    _random_bits()  # this process's generator exists
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it would draw next
        os.write(w, str(_random_bits()).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    os.close(w)
    child = int(os.read(r, 64))
    os.close(r)
    assert child != _random_bits()
