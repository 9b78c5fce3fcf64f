"""The JSON API against its own OpenAPI document, fuzzed with schemathesis through the WSGI app.

For each role's bearer token (provider, inspector, commissioner, social worker, and no token at
all) every documented operation gets valid and invalid requests; all of schemathesis's default
checks must pass: no server error, documented status codes, content types and response
bodies, invalid data refused, valid data accepted, and no operation that answers without
authentication. Deterministic (derandomized) and bounded, so it runs in ``make test``; each
role starts from a freshly built world (``world.py``, plus an application at file sampling and
one at property inspection, both the world's inspector's).

Random ids only ever find nothing (404), so most generated ids are real ones: schemathesis's
dictionaries put the world's applications, properties, sampled files and councils into the
path and query parameters (and real checklist items, answers, revisions and versions into the
bodies), among made-up ones. Operations that move an application on run last, so the others
find it where the world left it.

The operations are driven one by one with Hypothesis rather than through schemathesis's
pytest integration, whose lazy schema loading does not work with the pytest we pin.
"""

from __future__ import annotations

import io
import uuid
from collections import Counter, defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from werkzeug.datastructures import FileStorage

from accreditation.checklists.model import MAX_GRADE, NO, NOT_APPLICABLE, YES
from accreditation.councils import Council
from accreditation.extensions import db
from accreditation.stages.file_sampling import draw_file_samples, samples_for
from accreditation.stages.inspection_drafts import add_item_photo, checklist_for

from ..cases.journey import Journey
from ..evidence.samples import jpeg, png
from .world import (
    ANONYMOUS,
    COMMISSIONER,
    INSPECTOR,
    PROVIDER_A,
    PROVIDER_B,
    SOCIAL_WORKER,
    World,
)

ROLES = [ANONYMOUS, PROVIDER_A, INSPECTOR, COMMISSIONER, SOCIAL_WORKER]
# Examples per operation, shared between valid and invalid requests.
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 7}
# How often a generated id is one of the world's (the rest are made up).
REAL = 0.8
# What schemathesis accepts for schema-valid requests by default.
POSITIVE_STATUSES = ["2XX", "3XX", 401, 403, 404, 409, 429, "5XX"]
# Schema-valid requests rightly refused (400) by a rule that JSON Schema cannot state, so the
# document states it in words: what the operation needs to know before it can tell.
RULES_IN_WORDS = {
    # A council id must be one of the service's councils.
    "^/register/": "GET",
    # The action decides which of message, reasons, response and due_on it needs; due_on must
    # be after today.
    "^/cases/\\{case_id\\}/transitions$": "POST",
    # Answers must be items of the checklist in force, with answers its items accept.
    "^/cases/\\{case_id\\}/(properties|files)/": "POST",
    # No more vacancies than the property has bed spaces.
    "^/properties/\\{property_id\\}/vacancies$": "PUT",
    # The item must be one of the property's checklist; the file a photo in fact.
    "^/inspections/\\{link_id\\}/photos$": "POST",
    # A name and a role unless the representative declined, a reason only when they did, the
    # signature a PNG in fact, signed within the last 30 days.
    "^/inspections/\\{link_id\\}/acknowledgement$": "POST",
}
# Moved on last: these change the application the other operations act on.
LAST = ("/transitions",)
# Schemathesis puts no dictionary values into multipart bodies: real items are drawn here.
FORM_ITEMS = {"/inspections/{link_id}/photos": "property_items"}


def photo_media_types() -> None:
    """Real photos for the photo upload's file part (its encoding names JPEG, PNG, HEIC)."""
    schemathesis.openapi.media_type("image/jpeg", st.just(jpeg()))
    schemathesis.openapi.media_type("image/png", st.just(png()))


def real_records(world: World) -> dict[str, list]:
    """The ids the operations act on: the world's accredited application and two more of the
    world's inspector's, one at file sampling and one at property inspection."""
    inspector = world.users[INSPECTOR]
    sampling = Journey(properties=1, staff_files=2, young_people_files=1)
    sampling.inspector = inspector
    sampling.submit()
    sampling.pass_due_diligence()
    draw_file_samples(inspector, sampling.case)
    inspecting = Journey(properties=2, staff_files=2, young_people_files=1)
    inspecting.inspector = inspector
    inspecting.submit()
    inspecting.pass_due_diligence()
    inspecting.complete_file_sampling()

    # Photos to withdraw: each property of the application at inspection has some.
    photos = {}
    for link in inspecting.case.properties:
        item = checklist_for(link)[1][0].id
        for _ in range(3):
            photo, _ = add_item_photo(inspector, link, item, str(uuid.uuid4()), FileStorage(
                io.BytesIO(jpeg()), filename="photo.jpg", content_type="image/jpeg"))
            photos[photo.client_id] = link.id
    accredited = world.users[PROVIDER_A].organisation.cases[0]
    cases = [accredited, sampling.case, inspecting.case]
    links = [link for case in cases for link in case.properties]
    files = [sampled for case in cases for sample in samples_for(case)
             for sampled in sample.files]
    homes = [home for actor in (PROVIDER_A, PROVIDER_B)
             for home in world.users[actor].organisation.properties]
    db.session.commit()
    return {
        "case_ids": [case.id for case in cases],
        "sampling_case": [sampling.case.id],
        "sampling_files": [sampled.id for sample in samples_for(sampling.case)
                           for sampled in sample.files],
        "inspecting_case": [inspecting.case.id],
        "inspecting_links": [link.id for link in inspecting.case.properties],
        "photo_client_ids": sorted(photos),
        "link_ids": [link.id for link in links],
        "sampled_ids": [sampled.id for sampled in files],
        "property_ids": [home.id for home in homes],
        "council_ids": list(db.session.scalars(db.select(Council.id))),
        "property_items": sorted({item.id for link in links
                                  for item in checklist_for(link)[1]}),
        "file_items": sorted({item.id for sampled in files
                              for item in checklist_for(sampled)[1]}),
        "answers": [YES, NO, NOT_APPLICABLE, *range(MAX_GRADE + 1)],
        "revisions": [0, 1, 2],
        "versions": list(range(1, 9)),
        "vacancies": sorted({0, 1, *(home.bed_spaces for home in homes)}),
    }


def _from(dictionary: str, probability: float = REAL) -> dict:
    return {"dictionary": dictionary, "probability": probability}


def config_for(token: str | None, records: dict[str, list]) -> SchemathesisConfig:
    """Schemathesis's settings: the role's token (or none) through the document's own bearer
    scheme, so that requests without it count as tests of authentication, not as data; no
    made-up query parameters, because the API ignores parameters it does not know, as most
    HTTP APIs do (every documented parameter is still fuzzed); real ids and values from
    ``records`` among generated ones; and the rules the document states in words."""
    property_item = {"body.changes[*].item_id": _from("property_items")}
    file_item = {"body.changes[*].item_id": _from("file_items")}
    data: dict = {
        "generation": {"allow-extra-parameters": False},
        "dictionaries": {name: {"values": values} for name, values in records.items()},
        "parameters": {
            "path.case_id": _from("case_ids"), "path.link_id": _from("link_ids"),
            "path.sampled_id": _from("sampled_ids"), "path.property_id": _from("property_ids"),
            "query.local_authority": _from("council_ids", 0.5),
            "body.changes[*].value": _from("answers", 0.5),
            "body.changes[*].base_revision": _from("revisions"),
            "body.expected_version": _from("versions"),
            "body.vacancies": _from("vacancies"),
        },
        "operations": [
            {"include-path-regex": "^/inspections/\\{link_id\\}/photos/", "parameters": {
                "path.link_id": _from("inspecting_links"),
                "path.photo_client_id": _from("photo_client_ids")}},
            {"include-path-regex": "^/inspections/\\{link_id\\}/", "parameters": property_item},
            {"include-path-regex": "^/inspections/files/", "parameters": file_item},
            # A file or property of another application than the one named is not found.
            {"include-path-regex": "^/cases/\\{case_id\\}/files/", "parameters": {
                "path.case_id": _from("sampling_case"),
                "path.sampled_id": _from("sampling_files")}},
            {"include-path-regex": "^/cases/\\{case_id\\}/properties/", "parameters": {
                "path.case_id": _from("inspecting_case"),
                "path.link_id": _from("inspecting_links")}},
            *({"include-path-regex": path, "include-method": method, "checks": {
                "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES + [400]}}}
              for path, method in RULES_IN_WORDS.items()),
        ],
    }
    if token:
        data["auth"] = {"openapi": {"bearer": {"bearer": token}}}
    return SchemathesisConfig.from_dict(data)


def with_real_item(cases: st.SearchStrategy, items: list[str]) -> st.SearchStrategy:
    """Valid form bodies whose item_id is mostly one of ``items``."""
    @st.composite
    def real(draw):
        case = draw(cases)
        if draw(st.floats(0, 1)) < REAL:
            case.body["item_id"] = draw(st.sampled_from(items))
        return case

    return real()


def fuzz(operation, mode: GenerationMode, records: dict[str, list], statuses: Counter) -> None:
    cases = operation.as_strategy(generation_mode=mode)
    if operation.path in FORM_ITEMS and mode is GenerationMode.POSITIVE:
        cases = with_real_item(cases, records[FORM_ITEMS[operation.path]])

    @settings(max_examples=EXAMPLES[mode], derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              report_multiple_bugs=False)
    @given(case=cases)
    def run(case):
        statuses[case.call_and_validate().status_code] += 1

    run()


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_to_its_documentation(app, world: World, role: str):
    world.bearer(role)
    photo_media_types()
    records = real_records(world)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app,
                                            config=config_for(world.tokens.get(role), records))
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda operation: operation.path.endswith(LAST))
    failures = []
    statuses: dict[tuple[str, GenerationMode], Counter] = defaultdict(Counter)
    for operation in operations:
        for mode in EXAMPLES:
            try:
                fuzz(operation, mode, records, statuses[operation.label, mode])
            except (Exception, BaseExceptionGroup) as failure:  # reported together below
                failures.append(f"{operation.label} ({mode.value}):\n{failure}")
    assert len(operations) >= 10
    assert not failures, f"{len(failures)} failing as {role}:\n\n" + "\n\n".join(failures)
    # Valid requests with real ids find something: none only ever answers "not found".
    for operation in operations:
        answered = statuses[operation.label, GenerationMode.POSITIVE]
        assert set(answered) != {404}, f"{operation.label} as {role}: only {answered}"
