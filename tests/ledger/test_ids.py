"""Asset ids (ledger/ids.py)."""

from __future__ import annotations


def test_new_asset_ids_are_time_ordered_uuids() -> None:
    """Asset ids stay 32 hex digits (a UUID, now version 7): made later, they sort later (from
    one millisecond to the next), so a scan's new assets land together in every index by id."""
    import time
    import uuid

    from reelprov.ledger.ids import time_ordered_id

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

    from reelprov.ledger.ids import _random_bits

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
