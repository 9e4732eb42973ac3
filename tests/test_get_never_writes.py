"""GET never writes (ARCHITECTURE.md, reads and writes; issue 19, item 5).

Every GET URL of the access matrix, as each role it allows, and every page of the rich demo
program as each of its people: no row is inserted, updated or deleted. (Sessions and the
rate limits' counters are the framework's bookkeeping, not the program's rows.)

Pages that find their snapshots stale queue the refresh and say "updating" (the worker
writes, so queued work stays queued here); the review page shows rows not saved yet, which
its first save makes."""

import re

import pytest
from django.db import connection

from tests.conftest import client_for
from tests.test_access_matrix import MATRIX, ROLES, demo  # noqa: F401 (the demo fixture)

BOOKKEEPING = {"django_session", "fourfold_cache", "axes_accessattempt", "axes_accesslog"}
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


class Writes:
    """The tables written while it is on, with the statement's first words."""

    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match and match.group(1) not in BOOKKEEPING:
            self.seen.append(f"{match.group(1)}: {sql[:60]}")
        return execute(sql, params, many, context)


def writes_of(client, url: str) -> list[str]:
    writes = Writes()
    with connection.execute_wrapper(writes):
        client.get(url)
    return writes.seen


GETS = [
    (name, who)
    for name, rule in MATRIX.items()
    if rule.method == "get"
    for who in ROLES
    if who in rule.allowed
]


@pytest.mark.parametrize(("name", "who"), GETS, ids=[f"{n}-{w}" for n, w in GETS])
def test_a_get_of_the_access_matrix_writes_nothing(world, name, who, refreshes_stay_queued):
    from django.urls import reverse

    url = reverse(name, kwargs=MATRIX[name].kwargs(world))
    client = client_for(world, who)
    client.raise_request_exception = False
    assert writes_of(client, url) == []


@pytest.mark.parametrize("who", ["manager"])  # (every role's GETs: the matrix above)
def test_no_page_of_the_demo_program_writes(db, demo, who, refreshes_stay_queued):  # noqa: F811
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username=who))
    written = {
        url: seen
        for url in [*demo.program_pages, *demo.organization_pages]
        if (seen := writes_of(client, url))
    }
    assert written == {}
