"""A comment to someone is at most 2 000 characters: a 6 000-character report comment made the
report page 38 946 px wide, and nothing refused it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from base.editing import COMMENT_MAX_LENGTH
from base.unsaved import KEPT_LENGTH
from followup.forms import QuarterReportActionForm
from followup.models import QuarterReport
from programmes.forms import PlanReopenForm, PlanReviewForm
from programmes.models import ActivityPlan

MESSAGE = "Kommentaren får vara högst 2 000 tecken."


def test_the_report_comment_is_refused_past_2000_characters() -> None:
    assert QuarterReportActionForm({"comment": "x" * 2000}).is_valid()
    form = QuarterReportActionForm({"comment": "x" * 2001})

    assert form.errors == {"comment": [MESSAGE]}


@pytest.mark.parametrize("form_class", [PlanReviewForm, PlanReopenForm])
def test_the_plan_review_comment_is_refused_past_2000_characters(form_class: type) -> None:
    form = form_class({"status": "accepted", "review_comment": "x" * 2001})

    assert form.errors["review_comment"] == [MESSAGE]


def test_the_models_limit_the_comments_too() -> None:
    for model, name in [
        (QuarterReport, "strategist_comment"),
        (QuarterReport, "approval_note"),
        (QuarterReport, "return_comment"),
        (QuarterReport, "reopen_reason"),
        (ActivityPlan, "review_comment"),
    ]:
        field = model._meta.get_field(name)
        assert field.max_length == 2000
        with pytest.raises(ValidationError, match=MESSAGE):
            field.clean("x" * 2001, None)


def test_text_kept_after_a_refusal_is_kept_up_to_the_same_limit() -> None:
    assert KEPT_LENGTH == COMMENT_MAX_LENGTH == 2000
    for model, name in [(QuarterReport, "reopen_reason"), (ActivityPlan, "review_comment")]:
        assert model._meta.get_field(name).max_length == KEPT_LENGTH
