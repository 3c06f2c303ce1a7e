"""The pages' shared permission check, and that the views use it rather than their own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils.translation import gettext_lazy

from base.http import require_perm
from tests.factories import OrgTree

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("base", "followup", "goals", "organisation", "programmes", "gonv")


def _request(user: User):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_require_perm_lets_a_user_with_the_permission_through(vc: User, org_tree: OrgTree) -> None:
    assert require_perm(_request(vc), "goals.change_adoptionrecord", org_tree.hc1a) is None


def test_require_perm_refuses_without_a_message_unless_given_one(
    vc: User, org_tree: OrgTree
) -> None:
    with pytest.raises(PermissionDenied) as refused:
        require_perm(_request(vc), "goals.change_adoptionrecord", org_tree.hc2a)
    assert refused.value.args == ()

    message = gettext_lazy("Att göra visas bara för den som får ändra enhetens uppgifter.")
    with pytest.raises(PermissionDenied, match="Att göra visas bara") as refused:
        require_perm(_request(vc), "goals.change_adoptionrecord", org_tree.hc2a, message=message)
    assert refused.value.args == (message,)


def _hand_made_checks(path: Path) -> list[int]:
    """Lines of `if not <...>.has_perm(...): raise PermissionDenied...` with nothing else."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.If) or node.orelse or len(node.body) != 1:
            continue
        test, body = node.test, node.body[0]
        asks_perm = (
            isinstance(test, ast.UnaryOp)
            and isinstance(test.op, ast.Not)
            and isinstance(test.operand, ast.Call)
            and isinstance(test.operand.func, ast.Attribute)
            and test.operand.func.attr == "has_perm"
        )
        refuses = isinstance(body, ast.Raise) and "PermissionDenied" in ast.unparse(body)
        if asks_perm and refuses:
            found.append(node.lineno)
    return found


def test_views_refuse_with_require_perm_not_by_hand() -> None:
    views = [p for app in APPS for p in (ROOT / app).rglob("*views*.py")]
    assert views
    by_hand = {str(p.relative_to(ROOT)): lines for p in views if (lines := _hand_made_checks(p))}
    assert by_hand == {}, "use base.http.require_perm"
