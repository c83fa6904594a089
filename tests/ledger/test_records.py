"""The projection's typed records (ledger/records.py) have exactly the columns of the tables that
store them (models.py, the single source of the schema): a column added to one and not the other
fails here, not in a user's scan."""

from __future__ import annotations

from typing import get_type_hints

import pytest

from reelprov.ledger.records import AssetState, CutState, FlagState, UseState
from reelprov.models import Asset, Cut, Flag, IntendedUse


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
