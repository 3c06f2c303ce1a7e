"""Posting the admin's add, change and delete forms as a browser would."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.http import HttpResponse
from django.test import Client


def _post_value(field: forms.Field, value: Any) -> Any:
    """A form value as the browser sends it."""
    if value is None:
        return ""
    if isinstance(field, forms.BooleanField):
        return "on" if value else None
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)


def _form_data(form: forms.BaseForm) -> dict[str, Any]:
    data = {}
    for name, field in form.fields.items():
        value = _post_value(field, form[name].value())
        if value is not None:
            data[form.add_prefix(name)] = value
    return data


def admin_form_data(page: HttpResponse, **changes: Any) -> dict[str, Any]:
    """What the admin's add or change page posts if the user only changes `changes`."""
    data = _form_data(page.context["adminform"].form)
    for inline in page.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data |= _form_data(formset.management_form)
        for form in formset.initial_forms:
            data |= _form_data(form)
    for name, value in changes.items():
        data[name] = _post_value(forms.Field(), value)
    return data


def admin_new_inline_row(page: HttpResponse, **values: Any) -> dict[str, Any]:
    """What the page's one inline posts with one new row ("Lägg till ytterligare …") holding
    `values` over the row's defaults."""
    (inline,) = page.context["inline_admin_formsets"]
    formset = inline.formset
    row = {
        key.replace("__prefix__", "0"): value
        for key, value in _form_data(formset.empty_form).items()
    }
    return (
        row
        | {
            formset.add_prefix(f"0-{name}"): _post_value(forms.Field(), v)
            for name, v in values.items()
        }
        | {formset.add_prefix("TOTAL_FORMS"): "1"}
    )


def admin_save(client: Client, url: str, **changes: Any) -> HttpResponse:
    """Open an admin add/change page, change some fields and save."""
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, admin_form_data(page, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def admin_delete(client: Client, url: str) -> None:
    """Confirm the admin's delete page."""
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302


def admin_post(client: Client, url: str, **changes: Any) -> HttpResponse:
    """Open an admin add/change page, change some fields and post (whatever the answer)."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, admin_form_data(page, **changes))


def form_errors(response: HttpResponse) -> list[str]:
    """Every error message of a re-rendered admin form (empty if there is none)."""
    adminform = response.context["adminform"]
    return [str(message) for errors in adminform.form.errors.values() for message in errors]


def conflict_messages(response: HttpResponse) -> list[str]:
    """The conflict messages shown above an admin form (each as HTML, its link kept), in order;
    empty if the page shows none."""
    html = response.content.decode()
    note = re.search(r'<div class="errornote conflict-note">(.*?)</div>', html, re.S)
    return [m.strip() for m in re.findall(r"<p>(.*?)</p>", note.group(1), re.S)] if note else []


def error_note(response: HttpResponse) -> str:
    """Django's line above a form with errors ("Var god rätta felet nedan."), "" if none."""
    note = re.search(r'<p class="errornote">\s*(.*?)\s*</p>', response.content.decode(), re.S)
    return note.group(1) if note else ""
