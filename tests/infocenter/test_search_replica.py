"""/search/ is a replica path (geoportal.replica): the appeal search picks its database before it
opens the transaction that holds its scan settings, so it can still read from the standby (a
read inside a transaction of the primary is kept on the primary)."""
from __future__ import annotations

import pytest
from django.db import connections

from infocenter import search
from tests.issues.helpers import make_appeal


@pytest.mark.django_db(transaction=True)
def test_appeal_search_chooses_its_database_outside_a_primary_transaction(personas, monkeypatch) -> None:
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Провал асфальта у остановки «Сенная».")
    asked: list[bool] = []

    def read_alias() -> str:
        asked.append(connections["default"].in_atomic_block)
        return "default"  # no standby in the tests; the choice and its moment are what is checked

    monkeypatch.setattr(search, "read_alias", read_alias)
    found = [hit.url for _label, hits in search.search("провал асфальта") for hit in hits]
    assert asked == [False]
    assert f"/appeals/{appeal.pk}/" in found
