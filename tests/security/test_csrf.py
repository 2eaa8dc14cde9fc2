"""Every state-changing form of the app refuses a request without a CSRF token (400),
found by walking the URL map, so a new form cannot forget it. Exempt: the machine
interfaces, which take cross-site requests and authenticate otherwise."""

from __future__ import annotations

from flask import Flask, url_for
from flask.testing import FlaskClient

#: blueprints of machine interfaces: JSON API (API keys / staff session + SameSite),
#: ISO 18626 (XML from peers), the OpenURL resolver (read-only, POST allowed by the standard)
EXEMPT_BLUEPRINTS = {"router", "iso18626", "resolver"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: a value for every URL argument of the forms
ARGUMENTS = {
    "code": "211010",
    "request_id": "req-1",
    "user_id": 1,
    "change": "active",
    "section": "institution",
    "what": "logo",
    "job_id": 1,
    "key_id": "0123456789ab",
}
#: what the refusal says: the staff blueprints' error page, or (patron forms built with
#: WTForms, which re-show the form) the form's own CSRF error
CSRF_MESSAGES = ("did not come from this site", "The CSRF token is missing.")


def _unsafe_rules(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) of every unsafe rule outside the exempt blueprints."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            blueprint = rule.endpoint.rpartition(".")[0]
            if blueprint in EXEMPT_BLUEPRINTS:
                continue
            for method in sorted((rule.methods or set()) & UNSAFE):
                values = {name: ARGUMENTS[name] for name in rule.arguments}
                found.append((rule.endpoint, method, url_for(rule.endpoint, **values)))
    return found


def test_the_walk_covers_the_staff_and_admin_forms(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _unsafe_rules(app)}
    blueprints = {endpoint.rpartition(".")[0] for endpoint in endpoints}
    assert {"staff", "admin", "suggestions", "delivery"} <= blueprints
    assert {"staff.login", "admin.upload", "delivery.upload", "suggestions.notify"} <= endpoints


def test_every_form_refuses_a_request_without_a_token(app: Flask, admin: FlaskClient) -> None:
    accepted = []
    for endpoint, method, url in _unsafe_rules(app):
        response = admin.open(url, method=method, data={"anything": "1"})
        body = response.get_data(as_text=True)
        if response.status_code != 400 or not any(m in body for m in CSRF_MESSAGES):
            accepted.append(f"{method} {url} ({endpoint}): {response.status_code}")
    assert not accepted, "forms without CSRF protection:\n" + "\n".join(accepted)


def test_a_forged_token_is_refused_too(admin: FlaskClient) -> None:
    response = admin.post("/staff/switch", data={"library": "211030", "csrf_token": "forged"})
    assert response.status_code == 400
    assert CSRF_MESSAGES[0] in response.get_data(as_text=True)


def test_the_token_of_a_real_page_is_accepted(admin: FlaskClient) -> None:
    """The control: the refusals above are the token's doing, not the form's."""
    page = admin.get("/staff/account").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = admin.post("/staff/switch", data={"library": "211030", "csrf_token": token})
    assert response.status_code == 302
