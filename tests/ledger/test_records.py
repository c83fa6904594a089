"""The projection's typed records (ledger/records.py) have exactly the columns of the tables that
store them (models.py, the single source of the schema): a column added to one and not the other
fails here, not in a user's scan."""

from __future__ import annotations

from pathlib import Path
from typing import get_type_hints

import pytest

from reelprov.ledger import queries
from reelprov.ledger.records import (
    AssetBrief,
    AssetState,
    CutState,
    FlagState,
    Holder,
    ListedFlag,
    LiveAsset,
    UseState,
)
from reelprov.models import Asset, Cut, Flag, IntendedUse
from reelprov.project import Project
from tests.conftest import SD_PARAMS, run_cli, write_png


@pytest.mark.parametrize(
    ("record", "model"),
    [(AssetState, Asset), (FlagState, Flag), (CutState, Cut), (UseState, IntendedUse)],
)
def test_a_record_has_its_tables_columns(record: type, model: type) -> None:
    columns = {c.name: c for c in model.__table__.columns}  # type: ignore[attr-defined]
    hints = get_type_hints(record)
    assert set(hints) == set(columns)
    for name, c in columns.items():  # a column that may be NULL is optional in the record
        assert c.nullable == (type(None) in getattr(hints[name], "__args__", ())), name


def test_the_rows_queries_select_have_their_records_keys(show_root: Path) -> None:
    """What queries.assets_brief_after, flags_listed, live_by_path and live_with_contents return,
    as read from a real ledger, has exactly the keys of AssetBrief, ListedFlag, LiveAsset and
    Holder."""
    write_png(show_root / "final" / "gen.png", {"parameters": SD_PARAMS})
    assert run_cli("scan", cwd=show_root).code == 0
    project = Project.open(show_root)
    rd, pid = project.reader, project.cfg.project_id
    brief = queries.assets_brief_after(rd, pid, "", 10)
    listed = list(queries.flags_listed(rd, pid, []))
    assert brief and listed
    assert set(brief[0]) == set(get_type_hints(AssetBrief))
    assert set(listed[0]) == set(get_type_hints(ListedFlag))
    (live,) = queries.live_by_path(rd, pid)
    assert set(live) == set(get_type_hints(LiveAsset))
    assert live["cached_sha256"] == live["sha256"]  # the scan cached what it recorded
    (holder,) = queries.live_with_contents(rd, pid, [live["sha256"]])
    assert set(holder) == set(get_type_hints(Holder))
    project.close()
