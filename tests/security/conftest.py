"""Fixtures for the security tests: a logged-in admin client per role, with staff access.

The roles are the suite's fixtures under the demo users' names: `vc-syd` is `vc` (VO 1 and its
health centres), `vec-sandviken` is `vec` (HC 1A), `poansvarig` is `programme_owner` (PO 1),
`portfoljagare` is `portfolio_owner`. Staff access is given to every role, as a hostile tester
with a staff account would have it, so that only the rules stand between them and a write.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

ROLES = [
    "strategist",
    "admin_user",
    "portfolio_owner",
    "steering_member",
    "programme_owner",
    "vc",
    "vec",
    "no_role_user",
]

AdminClient = Callable[[str], Client]


@pytest.fixture
def admin_client_as(request: pytest.FixtureRequest) -> AdminClient:
    """`admin_client_as("vc")`: a client logged in as that role's user, with staff access."""

    def login(role: str) -> Client:
        user: User = request.getfixturevalue(role)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        client = Client()
        client.force_login(user)
        return client

    return login
