"""How counts and file names read to users."""

from reelprov.names import counted


def test_counted_reads_as_english() -> None:
    assert [counted(n, "asset") for n in (0, 1, 2)] == ["0 assets", "1 asset", "2 assets"]
    assert [counted(n, "entry") for n in (1, 137)] == ["1 entry", "137 entries"]
    assert counted(1, "blocking flag") == "1 blocking flag"


def test_nothing_a_terminal_acts_on_gets_through() -> None:
    from reelprov.names import one_line, printable

    hostile = "a\x1b[2J\x1b]52;c;cGF5bG9hZA==\x07b\x9b31m\x7f\u202egnp.exe\nnext\tline"
    for shown_text in (one_line(hostile), printable(hostile)):
        assert not any(
            ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in shown_text
        ), shown_text
    assert (
        one_line(hostile)
        == "a\\x1b[2J\\x1b]52;c;cGF5bG9hZA==\\x07b\\x9b31m\\x7f\\u202egnp.exe\\nnext\\tline"
    )
    assert (
        printable("Steps: 20\nSeed: 1\\2") == "Steps: 20 Seed: 1\\2"
    )  # summaries keep backslashes
    assert one_line("plain/é 日本.png") == "plain/é 日本.png"  # ordinary text untouched
    assert printable(None) == "None"  # a timeline clip may have no name
