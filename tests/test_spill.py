"""Sorting on disk past a run (reelprov.spill): the same order as sorting in memory."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

KEYS = st.tuples(st.integers(-3, 0), st.text(max_size=8), st.text(max_size=4))


@settings(max_examples=80)
@given(st.lists(KEYS, max_size=300), st.integers(1, 40), st.integers(2, 5))
def test_a_spilled_sort_reads_back_as_sorted_in_memory(keys: list, run: int, fan_in: int) -> None:
    from reelprov.spill import SortedSpill

    s = SortedSpill(run=run, fan_in=fan_in)
    for k in keys:
        s.add(k)
    assert len(s) == len(keys) and bool(s) == bool(keys)
    # FAN_IN runs of a size merge into one: a read opens fewer than FAN_IN of each size
    assert all(s._levels.count(level) < fan_in for level in s._levels)
    assert list(s) == sorted(keys)
    assert list(s) == sorted(keys)  # read again: starts over
    s.close()


def test_a_report_sorted_on_disk_lists_its_rows_as_in_memory(sample_show, cli, monkeypatch) -> None:
    """The report's sections with their sort spilled to disk every 2 rows: the same report."""
    from reelprov import spill

    assert cli("scan", cwd=sample_show).code == 0
    whole = cli("report", "--format", "json", "--no-verify", "--output", "-", cwd=sample_show)
    monkeypatch.setattr(spill, "RUN", 2)
    spilled = cli("report", "--format", "json", "--no-verify", "--output", "-", cwd=sample_show)
    a, b = whole.json(), spilled.json()
    for x in (a, b):
        x.pop("generated_at")
    assert [len(s["rows"]) for s in a["sections"]] == [len(s["rows"]) for s in b["sections"]]
    assert sum(len(s["rows"]) for s in a["sections"]) > 10
    assert a == b
