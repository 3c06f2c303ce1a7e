"""The organisation select of Portfölj: `?organisation=<unit code>`.

An installation may hold the plans of several regions or municipalities (a phase's
`organisation_unit`). Their steering groups each follow their own, so with more than one
organisation the portfolio shows one at a time: the one in `?organisation=`, else the one the
user's roles belong to (a portfolio owner's own organisation first), else the first by name.
With one organisation (or none) nothing is
chosen and the page shows every phase, as it always did.

The programme area pages use the same choice: `/programomraden/<number>/` is the area with
that number of the chosen organisation (areas of several organisations share numbers), and
every link to an area names its organisation (programme_area_url), so it opens the area it
names whoever follows it (an area of a phase of no organisation names its phase,
`?fas=<code>`). With one organisation the URLs carry nothing.

It sits in the quarter selector's form (templates/includes/quarter_selector.html): a plain GET
form; with htmx a change swaps the page's region and pushes the URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy

from organisation.selectors import scope_for
from programmes.models import ProgrammeArea

from .selectors import (
    Organisation,
    organisation_of_roles,
    organisations,
    phase_organisation,
    phases_without_organisation,
)

ORGANISATION_PARAM = "organisation"
# An area of a phase of no organisation, with several organisations: its phase's code (the
# chosen organisation may have an area of the same number).
PHASE_PARAM = "fas"
INVALID_ORGANISATION_MESSAGE = gettext_lazy(
    "”%(text)s” är ingen organisation med en plan här. Sidan visar i stället %(name)s."
)


@dataclass(frozen=True)
class OrganisationSelection:
    """The organisation a page shows (None: one or no organisation, every phase shown), the
    organisations it can offer, and what to tell the user."""

    organisation: Organisation | None = None
    choices: list[Organisation] = field(default_factory=list)  # by name
    error: str = ""
    # The default of a user whose roles belong to no organisation: the first by name.
    first_by_name: bool = False
    # Phases of no organisation: on no organisation's portfolio (goals.selectors), so the
    # page says where they are.
    phases_without_organisation: int = 0

    @property
    def code(self) -> str:
        """The part of a cache key the choice adds ("" with nothing to choose)."""
        return self.organisation.code if self.organisation else ""


def organisation_selection(request: HttpRequest) -> OrganisationSelection:
    """The organisation from `?organisation=`, else the user's, else the first by name (no
    query with one organisation, or a valid choice from a cached list; the user's default
    comes with their scope)."""
    choices = organisations()
    if len(choices) < 2:
        return OrganisationSelection()
    text = request.GET.get(ORGANISATION_PARAM, "").strip()
    if text:
        chosen = next((o for o in choices if o.code.casefold() == text.casefold()), None)
        if chosen is not None:
            return OrganisationSelection(
                organisation=chosen,
                choices=choices,
                phases_without_organisation=phases_without_organisation(),
            )
    scope = scope_for(request.user)
    # A portfolio owner's own organisation first: the reports they approve are its.
    owned = next((o for o in choices if o.id in scope.owned_organisation_ids), None)
    own = owned or organisation_of_roles(choices=choices, scope=scope)
    default = own or choices[0]
    error = ""
    if text:
        error = str(INVALID_ORGANISATION_MESSAGE % {"text": text, "name": default.name})
    return OrganisationSelection(
        organisation=default,
        choices=choices,
        error=error,
        first_by_name=own is None,
        phases_without_organisation=phases_without_organisation(),
    )


def organisation_params(phase_id: int) -> dict[str, str]:
    """What a link to an area of this phase carries when there are several organisations:
    `{"organisation": code}` for a phase of an organisation, `{"fas": code}` for a phase of
    none. Nothing with one organisation: its URLs stay as they were (no query once cached)."""
    phase = phase_organisation(phase_id)
    if phase is None or not phase.several:
        return {}
    if phase.organisation is None:
        return {PHASE_PARAM: phase.code}
    return {ORGANISATION_PARAM: phase.organisation.code}


def programme_area_url(area: ProgrammeArea, **params: str) -> str:
    """The URL of an area's page that opens this area, whoever follows it (the organisation
    along where several share its number), with `params` after it."""
    url = reverse("programme_area_detail", kwargs={"number": area.number})
    query = {**organisation_params(area.phase_id), **params}
    return f"{url}?{urlencode(query)}" if query else url


def portfolio_url(phase_id: int, url_name: str = "home") -> str:
    """Portfölj (or another page of the organisation select: `url_name`) showing this phase's
    organisation; the plain page with one organisation, or for a phase of none (on no
    organisation's portfolio: the user's own)."""
    url = reverse(url_name)
    code = organisation_params(phase_id).get(ORGANISATION_PARAM)
    return f"{url}?{urlencode({ORGANISATION_PARAM: code})}" if code else url
