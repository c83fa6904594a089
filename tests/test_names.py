"""How counts and file names read to users."""

from reelprov.names import counted


def test_counted_reads_as_english() -> None:
    assert [counted(n, "asset") for n in (0, 1, 2)] == ["0 assets", "1 asset", "2 assets"]
    assert [counted(n, "entry") for n in (1, 137)] == ["1 entry", "137 entries"]
    assert counted(1, "blocking flag") == "1 blocking flag"
