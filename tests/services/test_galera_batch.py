"""Deciding in batches (services.bookings.batch) on the 3-node Galera cluster: a batch decides exactly as one
decision a transaction does, whichever node decides; batch deciders racing on two nodes keep every slot
within its capacity and its online share and decide each request once, with one message."""
from __future__ import annotations

import logging

import pytest

from services import migrate
from services.db import Database
from tests import galera
from tests.services.bookings.test_batch import (
    EACH,
    SLOTS,
    assert_twins_decide_alike,
    build_race,
    check_race,
    race_deciders,
)
from tests.services.bookings.test_race import _synced, _wait_visible

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("variant", ["plain", "any_slot"])
def test_batches_on_each_node_decide_as_one_a_transaction(galera_cluster, galera_urls, variant, caplog):
    """The twins (tests/services/bookings/test_batch.py) in three databases of the cluster, built through
    node 1 (so their ids agree: each node numbers its inserts apart) and decided one a transaction on node
    1, in runs of 7 on node 2 and of 100 on node 3, each reading what the others have committed."""
    with galera.fresh_database(galera_cluster) as second, galera.fresh_database(galera_cluster) as third:
        dbs = [Database(urls[0]) for urls in (galera_urls, second, third)]
        deciders = [_synced(urls[node]) for node, urls in enumerate((galera_urls, second, third))]
        try:
            for d in dbs[1:]:
                migrate.upgrade(d)
            caplog.set_level(logging.WARNING, logger="services.bookings.rules")
            assert_twins_decide_alike(dbs, variant, deciders)
            assert not [r for r in caplog.records if r.name == "services.bookings.rules"], caplog.text  # no fallback
        finally:
            for d in dbs + deciders:
                d.dispose()


def test_racing_batch_deciders_on_two_nodes_decide_each_request_once(galera_urls):
    db = Database(galera_urls[0])
    try:
        _, by_slot = build_race(db)
    finally:
        db.dispose()
    _wait_visible(galera_urls[1], [b for ids in by_slot.values() for b in ids])
    summaries = race_deciders(galera_urls[:2])
    assert sum(s.decided for s in summaries) == SLOTS * EACH
    synced = _synced(galera_urls[2])
    try:  # which of a slot's requests got its places depends on which node's run certified first
        check_race(synced, by_slot, oldest_first=False)
    finally:
        synced.dispose()
