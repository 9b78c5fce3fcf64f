"""Every page form, posted with hostile and random values, never breaks the service.

For every page route that takes a POST (the JSON API has its own fuzzing), someone allowed
to use it posts to it, on objects of the access matrix world (``world.py``), with a valid
CSRF token: the form's own fields (read from the pages that show the form) with values
that are missing, huge, full of control characters or unusual unicode, numbers out of any
range, the wrong type (a file where text is expected, text where a file is), repeated, or
fields nobody asked for. The answer must always be a refusal (4xx), a redirect, or the page
again with its error summary; never a server error and never a stack trace.

Bounded and derandomized (the same examples every run) so that it stays quick; the world
is shared by all the routes, and the routes that end something (sign out, withdraw,
remove) run last.
"""

from __future__ import annotations

import io
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms.fields.core import UnboundField

from accreditation import create_app

from ..cases.journey import TODAY, Journey
from ..conftest import Client, config_for, empty_all_tables
from ..factories import UserFactory, publish_first_checklists
from .access_table import ACCESS, PDF, PHOTO
from .matrix import STATE_CHANGING, Matrix, is_api, listed_routes, route_id, shows_a_stack_trace
from .test_access_matrix import OWN_SESSION, access_for
from .world import ACTORS, ANONYMOUS, PROVIDER_A, build_world

EXAMPLES = 14
READ_ONLY_FEED = "openreferral.read_only"  # answers every write with 405, tested elsewhere
# Routes that end or remove what later routes act on: they go last, in this order.
ENDING = ("providers.remove_roster_entry", "providers.remove_person", "evidence.remove",
          "providers.remove_property", "admin.withdraw_invitation", "standards.retire",
          "standards.remove_item", "standards.remove_section", "standards.remove_step",
          "standards.approve_draft", "standards.discard_draft",
          "cases.case_action", "providers.withdraw", "auth.change_password", "auth.sign_out",
          "auth.sign_in")  # last: its failures count towards the sign-in throttle
FORM_WRITES = sorted(
    [(rule, method) for rule, method in listed_routes()
     if method in STATE_CHANGING and not is_api(rule) and rule.endpoint != READ_ONLY_FEED],
    key=lambda pair: (ENDING.index(pair[0].endpoint) if pair[0].endpoint in ENDING else -1,
                      pair[0].rule))
SENT_AS_FILE = (PDF, PHOTO)


# --- what the forms look like: read from the pages that show them ---------------------------------

class FormReader(HTMLParser):
    """The forms on a page: where each posts to, its fields and the values the page offers."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: list[tuple[str, dict[str, set[str]], set[str]]] = []
        self._fields: dict[str, set[str]] | None = None
        self._files: set[str] = set()
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "get").lower() == "post":
            action = urlsplit(attributes.get("action") or self.page_path).path
            self._fields, self._files = defaultdict(set), set()
            self.forms.append((action, self._fields, self._files))
        if self._fields is None:
            return
        name = attributes.get("name")
        if tag in ("input", "textarea", "select", "button") and name and name != "csrf_token":
            self._fields[name].add(attributes.get("value") or "")
            if attributes.get("type") == "file":
                self._files.add(name)
        if tag == "select":
            self._select = name
        if tag == "option" and self._select:
            self._fields[self._select].add(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        if tag == "select":
            self._select = None


def forms_in_the_world(matrix) -> dict[tuple[str, str], tuple[dict, set]]:
    """(actor, path it posts to) -> (fields with the values offered, file fields), from every
    page each actor may see."""
    found: dict[tuple[str, str], tuple[dict, set]] = {}
    for rule, method in listed_routes():
        if method != "GET" or is_api(rule) or rule.endpoint == "static":
            continue
        access = ACCESS.get(rule.endpoint)  # a route without an entry fails the matrix test
        url = matrix.url(rule)
        for actor in sorted(access.may if access else ()):
            response = matrix.client(actor).get(url)
            page = response.get_data().decode("utf-8", errors="replace")
            response.close()
            if response.mimetype != "text/html":
                continue
            reader = FormReader(urlsplit(url).path)
            reader.feed(page)
            for action, fields, files in reader.forms:
                known_fields, known_files = found.setdefault((actor, action), ({}, set()))
                for name, values in fields.items():
                    known_fields.setdefault(name, set()).update(values)
                known_files.update(files)
    return found


# --- hostile values -----------------------------------------------------------------------------

CHARACTERS = st.characters(exclude_categories=["Cs"])  # lone surrogates cannot be sent as UTF-8
AWKWARD = [
    "", " ", "\x00", "a\x00b", "\r\n", "\t", "\x1b[2J", "\u202egnp.exe", "\ufeff", "\u200b",
    "-1", "0", "-0", "1.5", "1e308", "-1e308", "NaN", "inf", "2147483648", "9223372036854775808",
    "-9223372036854775809", "1" * 400, "²", "١٢٣", "𝟗", "0x1F", "true", "null", "[]", "{}",
    "../../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "%s%s%n", "{{7*7}}",
    "2025-02-30", "31/12/9999", "0000-00-00", "Ω" * 300, "\U0001F600" * 100,
]


HUGE = "<a huge value>"  # drawn as a marker to keep reports short, sent as 6,000 or more characters


def values(offered: set[str]) -> st.SearchStrategy:
    choices = [
        st.sampled_from(AWKWARD),
        st.text(CHARACTERS, max_size=40),
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.just(HUGE),
    ]
    offered = sorted(value for value in offered if value)
    if offered:
        choices.insert(0, st.sampled_from(offered))
    return st.one_of(*choices)


def a_file(sample: str | None = None) -> st.SearchStrategy:
    contents = st.one_of(st.binary(max_size=2000), st.just(b""),
                         st.sampled_from([b"%PDF-1.7\n%broken", b"\x89PNG\r\n\x1a\n", b"\xff\xd8"]))
    names = st.one_of(st.text(CHARACTERS, max_size=30), st.sampled_from(
        ["evidence.pdf", "../../x.pdf", "photo.png", "a" * 300 + ".pdf", "", "CON.pdf"]))
    return st.builds(lambda data, name: ("file", data, name), contents, names)


def every_form_field() -> list[str]:
    """The names of every field of every form class: what to post to a route whose form no
    page of the world shows (the world's state does not offer it). Checklist forms, built
    per request, are left out: the list must stay the same from one example to the next."""
    names, classes = set(), [FlaskForm]
    while classes:
        form = classes.pop()
        classes.extend(form.__subclasses__())
        if not form.__name__.startswith("Bound"):
            names |= {name for name, value in vars(form).items()
                      if isinstance(value, UnboundField)}
    return sorted(names)


FORM_FIELDS = every_form_field()  # the app's forms are imported by listed_routes() above


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
              st.text(CHARACTERS, max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)


@st.composite
def form_posts(draw, fields: dict[str, set[str]], files: set[str], body: dict):
    """A form post (a MultiDict, files as tuples), or now and then the same names as a JSON
    body of any types."""
    if not fields:
        fields = {name: set() for name in draw(st.sets(st.sampled_from(FORM_FIELDS),
                                                        max_size=6))}
    names = sorted(set(fields) | set(body) | files)
    if draw(st.integers(0, 5)) == 0:
        return {name: draw(st.one_of(JSON_VALUES, values(fields.get(name, set()))))
                for name in names if draw(st.booleans())}
    posted = MultiDict()
    for name in names:
        offered = set(fields.get(name, ()))
        if name in body and not isinstance(body[name], dict):
            offered.add(str(body[name]))
        file_field = name in files or body.get(name) in SENT_AS_FILE
        one = st.one_of(a_file(), values(offered)) if file_field else st.one_of(
            values(offered), a_file())
        how = draw(st.sampled_from(["missing", "one", "one", "one", "repeated"]))
        if how == "one":
            posted.add(name, draw(one))
        elif how == "repeated":
            for value in draw(st.lists(one, min_size=2, max_size=3)):
                posted.add(name, value)
    for name, value in draw(st.dictionaries(st.text(CHARACTERS, min_size=1, max_size=15),
                                            values(set()), max_size=2)).items():
        if name != "csrf_token":
            posted.add(name, value)
    return posted


def as_request_data(posted: MultiDict, csrf_token: str) -> MultiDict:
    # With files the test client encodes the body in a temporary file above 500 kB, which it
    # never closes: a multipart body's huge values are kept smaller (still far too long).
    multipart = any(isinstance(value, tuple) for _, value in posted.items(multi=True))
    huge = "x" * (6_000 if multipart else 100_000)
    data = MultiDict()
    for name, value in posted.items(multi=True):
        if isinstance(value, tuple):
            _, content, filename = value
            value = FileStorage(io.BytesIO(content), filename=filename,
                                content_type="application/octet-stream")
        elif value == HUGE:
            value = huge
        data.add(name, value)
    data.add("csrf_token", csrf_token)
    return data


# --- the test -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def matrix(database_url, tmp_path_factory):
    """The access matrix's world; sign-in throttling out of the way, as wrong passwords and
    codes posted here count against the one address all test clients come from."""
    app = create_app(config_for(
        database_url, STORAGE="local", SCANNER_URL=None,
        STORAGE_LOCAL_PATH=str(tmp_path_factory.mktemp("evidence")),
        LOGIN_MAX_FAILURES_PER_CLIENT=10**6, LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT=10**6,
        LOGIN_MAX_FAILURES_PER_ACCOUNT=50, LOGIN_WINDOW_SECONDS=3600))
    app.test_client_class = Client
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr("accreditation.clock.today", lambda: TODAY)
        publish_first_checklists()
        yield Matrix(app=app, world=build_world())
    empty_all_tables(app)


@pytest.fixture(scope="module")
def forms(matrix):
    return forms_in_the_world(matrix)


@pytest.mark.parametrize("route", FORM_WRITES, ids=route_id)
def test_hostile_form_posts_never_break_the_page(matrix, forms, route):
    rule, method = route
    url = matrix.url(rule)
    path = urlsplit(url).path
    access = access_for(rule)
    allowed = [actor for actor in (PROVIDER_A, *ACTORS) if actor in access.may]
    shown = [actor for actor in allowed if (actor, path) in forms]
    actor = (shown or [actor for actor in allowed if actor != ANONYMOUS] or allowed)[0]
    fields, files = forms.get((actor, path), ({}, set()))
    problems: list[str] = []

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(posted=form_posts(fields, files, access.body))
    def post(posted):
        client = matrix.client(actor, fresh=rule.endpoint in OWN_SESSION)
        headers = {"Referer": f"https://localhost{path}"}
        if not isinstance(posted, MultiDict):  # JSON, the token in the header scripts use
            response = client.open(url, method=method, json=posted, headers={
                **headers, "X-CSRFToken": matrix.csrf_tokens[actor]})
        else:
            response = client.open(url, method=method, headers=headers,
                                   data=as_request_data(posted, matrix.csrf_tokens[actor]))
        text = response.get_data().decode("utf-8", errors="replace")
        response.close()
        status = response.status_code
        shown_again = status == 200 and "govuk-error-summary" in text
        sent = dict(posted.lists()) if isinstance(posted, MultiDict) else posted
        answer = f"{status} for {sent!r:.600}"
        assert status < 500, answer
        assert not shows_a_stack_trace(text), answer
        assert 300 <= status < 500 or shown_again or ok_without_summary(rule, response,
                                                                        sent), answer

    try:
        post()
    except AssertionError as failure:
        problems.append(str(failure))
    assert not problems, f"{method} {url} as {actor}:\n" + "\n".join(problems)


def ok_without_summary(rule, response, sent=None) -> bool:
    """A 200 that is not the form again: routes that answer with a page or data of their
    own (listed here with why), and forms that are still being filled in (their buttons that
    only change the form: the form again, without errors)."""
    if response.status_code != 200:
        return False
    editing = STILL_EDITING.get(rule.endpoint, ())
    return rule.endpoint in SUCCESS_PAGES or any(name in (sent or {}) for name in editing)


# Buttons that change the form rather than send it: the page shows it again as typed.
STILL_EDITING: dict[str, tuple[str, ...]] = {
    "cases.decision": ("add_condition", "remove"),  # add or remove a condition
}


SUCCESS_PAGES: dict[str, str] = {
    "stages.device_token": "answers with the tablet's token as JSON (the form has no fields)",
    "auth.new_recovery_codes": "shows the new recovery codes, once",
    "auth.make_calendar_link": "shows the new calendar link, once",
    "auth.keep_alive": "answers the session's time left as JSON (the warning has no fields)",
}


def test_the_forms_were_found(matrix, forms):
    """The fuzzing posts real forms' fields: a page of the world shows the form of most
    routes (the others are posted fields of every form class)."""
    paths = {path for _, path in forms}
    missing = sorted(rule.endpoint for rule, _ in FORM_WRITES
                     if urlsplit(matrix.url(rule)).path not in paths)
    assert len(missing) <= len(FORM_WRITES) // 2, ", ".join(missing)


# --- what a page form reads (``accreditation.security.page_form_data``) -------------------------

def test_a_file_posted_under_a_text_fields_name_is_not_read(client):
    client.sign_in(UserFactory(provider=True))
    response = client.submit("/provider/properties/new", {
        "name": (io.BytesIO(b"Albion House"), "name.txt"), "town": "Leeds"},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert 'value="Leeds"' in response.text


def test_a_json_body_is_not_a_page_form(client):
    client.sign_in(UserFactory(provider=True))
    token = client.csrf_token("/provider/properties/new")
    response = client.post("/provider/properties/new", json={"name": ["Albion"], "town": 7},
                           headers={"X-CSRFToken": token,
                                    "Referer": "https://localhost/provider/properties/new"})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text


def test_a_date_posted_without_its_three_boxes_is_shown_again_with_three(
        client, today, checklists):
    journey = Journey(properties=1)
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    client.sign_in(journey.commissioner)
    url = f"/cases/{journey.case.id}/decision"
    for date in ([], ["3"], ["1", "2", "2030", "4"]):
        response = client.submit(url, {"outcome": "accredited", "expires_on": date})
        assert response.status_code == 400, date  # no reasons given
        for box in ("day", "month", "year"):
            assert f'id="expires_on-{box}"' in response.text


def test_a_checklist_number_must_be_an_ordinary_number(client, today, checklists):
    journey = Journey(properties=1)
    journey.submit()
    client.sign_in(journey.commissioner)
    url = f"/cases/{journey.case.id}/due-diligence"
    cover = "Employer&#39;s liability insurance (£ million)"
    for number, message in (
            ("NaN", "must be a number, like 2.5"), ("Infinity", "must be a number, like 2.5"),
            ("-inf", "must be a number, like 2.5"), ("1e999", "must be a number, like 2.5"),
            ("1e9", "must be a number, like 2.5"),
            ("1000000000000", "must be between £0 and £1,000 million"),
            ("-5", "must be between £0 and £1,000 million"),
            ("5.555", "can have up to 2 decimal places, like 2.5")):
        response = client.submit(url, {"item_employers_liability_cover": number})
        assert response.status_code == 400, number
        assert f"{cover} {message}" in response.text, number
    assert client.submit(url, {"item_employers_liability_cover": "5.5"}).status_code == 302


# --- the notice of an adverse decision: each form where its page shows it -----------------------

def _notice_pages(app):
    """(who, the page showing the form) for each form of the notice, each on a case in the
    state where its page shows it."""
    from accreditation.cases import operations
    from accreditation.cases.models import ProposalKind

    def accredited() -> Journey:
        journey = Journey(properties=1)
        journey.all_the_way()
        return journey

    def proposed() -> Journey:
        journey = accredited()
        operations.propose(journey.commissioner, journey.case, kind=ProposalKind.REVOCATION,
                           reasons="Concern.", expected_version=journey.case.version)
        return journey

    def answered() -> Journey:
        journey = proposed()
        operations.make_representations(journey.provider, journey.case, text="No.")
        return journey

    def decided() -> Journey:
        journey = accredited()
        journey.adverse(ProposalKind.REVOCATION)
        return journey

    def reviewing() -> Journey:
        journey = decided()
        operations.ask_for_review(journey.provider, journey.case, grounds="Unfair.")
        return journey

    yield (lambda j: j.commissioner, accredited(), "/propose?kind=revocation")
    yield (lambda j: j.provider, proposed(), "/representations")
    yield (lambda j: j.deciding_commissioner, answered(), "/notice/decision")
    yield (lambda j: j.provider, decided(), "/review")
    yield (lambda j: UserFactory(commissioner=True), reviewing(), "/review/decision")


def test_the_notice_forms_never_break_whatever_is_posted(app, today, checklists):
    for who, journey, page in _notice_pages(app):
        client = app.test_client()
        client.sign_in(who(journey))
        path = f"/cases/{journey.case.id}{page}"
        shown = client.get(path)
        assert shown.status_code == 200, path
        reader = FormReader(urlsplit(path).path)
        reader.feed(shown.text)
        ((_, fields, files),) = [form for form in reader.forms
                                 if form[0] == urlsplit(path).path]
        _post_hostile_values(client, path, client.csrf_token(path), dict(fields), set(files))


def _post_hostile_values(client, path: str, token: str, fields: dict, files: set) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(posted=form_posts(fields, files, {}))
    def post(posted):
        headers = {"Referer": f"https://localhost{path}"}
        if isinstance(posted, MultiDict):
            response = client.post(path, headers=headers, data=as_request_data(posted, token))
        else:
            response = client.post(path, json=posted, headers={**headers, "X-CSRFToken": token})
        text = response.get_data().decode("utf-8", errors="replace")
        response.close()
        status = response.status_code
        assert status < 500 and not shows_a_stack_trace(text), (path, status)
        assert 300 <= status < 500 or "govuk-error-summary" in text, (path, status)

    post()
