"""The sync guarantees under pressure: copies racing each other, and any order of replays."""

from __future__ import annotations

import io
import threading
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage

from accreditation.auth.models import User
from accreditation.cases.models import CaseProperty
from accreditation.evidence.models import Evidence, EvidenceKind
from accreditation.extensions import db
from accreditation.stages import inspection_drafts as drafts
from accreditation.stages.inspection_drafts import AnswerChange
from accreditation.stages.models import AnswerConflict, ChangeLogEntry, DraftAnswer

from ..evidence.samples import jpeg


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def photos() -> int:
    """How many photos are kept (the application's documents aside)."""
    return db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(
        Evidence.kind == EvidenceKind.PHOTO))


def batch_for(link, size: int = 4) -> list[AnswerChange]:
    items = [item for item in drafts.checklist_for(link)[1] if item.answer_type == "yes_no"]
    return [AnswerChange(str(uuid.uuid4()), item.id, "yes", None, 0) for item in items[:size]]


def lose_the_first_lookups(monkeypatch, name: str, misses: int = 1) -> None:
    """The lookups of a client_id miss, as when the other copy commits just after them: the
    insert then meets the unique key."""
    real = getattr(drafts, name)
    missed: dict = {}

    def lookup(*args):
        key = args[-1]
        missed[key] = missed.get(key, 0) + 1
        if missed[key] <= misses:
            return None
        return real(*args)

    monkeypatch.setattr(drafts, name, lookup)


def test_a_copy_that_loses_the_race_gets_the_stored_result(journey, inspection, monkeypatch):
    batch = batch_for(inspection)
    first = drafts.save_answers(journey.inspector, inspection, batch, device_id="tablet-1")
    lose_the_first_lookups(monkeypatch, "_find_change")
    second = drafts.save_answers(journey.inspector, inspection, batch, device_id="tablet-1")
    assert all(result.replayed for result in second)
    assert [(r.status, r.revision) for r in second] == [(r.status, r.revision) for r in first]
    assert count(ChangeLogEntry) == len(batch)
    assert {d.revision for d in drafts.drafts_for(inspection).values()} == {1}


@pytest.mark.parametrize("copies", [2, 4])
def test_copies_of_a_batch_sent_at_the_same_moment_apply_once(app, journey, inspection, copies):
    batch = batch_for(inspection)
    user_id, link_id = journey.inspector.id, inspection.id
    db.session.commit()
    start = threading.Barrier(copies)
    outcomes: list = [None] * copies

    def send(index: int) -> None:
        with app.app_context():
            try:
                start.wait()
                results = drafts.save_answers(db.session.get(User, user_id),
                                              db.session.get(CaseProperty, link_id), batch,
                                              device_id="tablet-1")
                outcomes[index] = [(r.client_id, r.status, r.revision, r.replayed)
                                   for r in results]
            except Exception as error:  # reported below, in the test's thread
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(o[0][3] for o in outcomes) == [False] + [True] * (copies - 1)
    assert len({tuple(row[:3] for row in o) for o in outcomes}) == 1
    db.session.expire_all()
    assert count(ChangeLogEntry) == len(batch)
    assert {d.revision for d in drafts.drafts_for(inspection).values()} == {1}


def photo() -> FileStorage:
    return FileStorage(io.BytesIO(jpeg()), filename="bathroom.jpg", content_type="image/jpeg")


def stored_keys(app) -> list[str]:
    """What the store holds besides the application's documents (uploaded before it was
    submitted): the photos."""
    documents = set(db.session.scalars(sa.select(Evidence.storage_key).where(
        Evidence.kind == EvidenceKind.DOCUMENT)))
    return sorted(set(app.extensions["evidence_storage"].list_keys()) - documents)


def test_a_photo_sent_again_creates_no_row_and_no_stored_object(app, journey, inspection):
    item_id = batch_for(inspection, 1)[0].item_id
    client_id = str(uuid.uuid4())
    record, created = drafts.add_item_photo(journey.inspector, inspection, item_id, client_id,
                                            photo())
    assert created
    keys = stored_keys(app)
    assert keys == sorted([record.storage_key, record.preview_key])
    for _ in range(3):
        again, created = drafts.add_item_photo(journey.inspector, inspection, item_id,
                                               client_id, photo())
        assert (again.id, created) == (record.id, False)
    assert stored_keys(app) == keys and photos() == 1


def test_a_photo_copy_that_loses_the_race_leaves_nothing_behind(app, journey, inspection,
                                                                monkeypatch):
    item_id = batch_for(inspection, 1)[0].item_id
    client_id = str(uuid.uuid4())
    record, _ = drafts.add_item_photo(journey.inspector, inspection, item_id, client_id, photo())
    keys = stored_keys(app)
    # Both lookups before the upload (before and after the inspection's lock) miss.
    lose_the_first_lookups(monkeypatch, "_find_photo", misses=2)
    store = app.extensions["evidence_storage"]
    real_put, put = store.put, []
    monkeypatch.setattr(store, "put", lambda key, *a, **k: (put.append(key),
                                                            real_put(key, *a, **k))[1])
    again, created = drafts.add_item_photo(journey.inspector, inspection, item_id, client_id,
                                           photo())
    assert (again.id, created) == (record.id, False)
    assert len(put) == 2  # the losing copy was stored, met the unique key...
    assert stored_keys(app) == keys  # ...and its objects were removed again
    assert photos() == 1


def test_a_photo_id_cannot_be_reused_by_someone_else(journey, inspection):
    item_id = batch_for(inspection, 1)[0].item_id
    client_id = str(uuid.uuid4())
    drafts.add_item_photo(journey.inspector, inspection, item_id, client_id, photo())
    with pytest.raises(Exception, match="already been used"):
        drafts.add_item_photo(journey.commissioner, inspection, item_id, client_id, photo())
    assert photos() == 1


# --- any replays, in any order, end where applying each change once ends ------------------------

def values_for(item) -> list:
    values = {"yes_no": ["yes", "no"], "graded": [0, 1, 2, 3], "number": [0, 1, 2.5, 40],
              "free_text": ["fine", "needs work"]}[item.answer_type]
    return values + (["not_applicable"] if item.allow_not_applicable else []) + [None]


def snapshot(link) -> dict:
    db.session.expire_all()
    return {
        "drafts": {d.item_id: (d.value, d.note, d.revision)
                   for d in drafts.drafts_for(link).values()},
        "conflicts": sorted((c.item_id, c.change.client_id, c.value, c.note)
                            for c in drafts.open_conflicts(link)),
        "changes": {row.client_id: (row.status.value, row.revision, row.server_revision,
                                    row.message, row.value)
                    for row in db.session.scalars(sa.select(ChangeLogEntry).where(
                        ChangeLogEntry.device_id == "tablet"))},
    }


def forget(link) -> None:
    for model in (AnswerConflict, ChangeLogEntry, DraftAnswer):
        db.session.execute(sa.delete(model).where(model.case_property_id == link.id))
    db.session.commit()


@st.composite
def scenarios(draw, items):
    seeds = {item.id: draw(st.lists(st.sampled_from(values_for(item)), max_size=2))
             for item in items}
    chosen = draw(st.lists(st.sampled_from(items), min_size=1, max_size=len(items),
                           unique_by=lambda item: item.id))
    batch = [AnswerChange(
        client_id=str(uuid.uuid4()), item_id=item.id,
        value=draw(st.sampled_from(values_for(item) + ["maybe"])),
        note=draw(st.sampled_from([None, "", "Checked with the manager"])),
        base_revision=draw(st.integers(0, 3))) for item in chosen]
    if draw(st.booleans()):
        batch.append(AnswerChange(str(uuid.uuid4()), "no_such_item", "yes", None, 0))
    indices = st.integers(0, len(batch) - 1)
    deliveries = draw(st.lists(st.lists(indices, max_size=2 * len(batch)), max_size=4))
    deliveries.append(draw(st.permutations(range(len(batch)))))
    return seeds, batch, deliveries


def test_replays_and_reorders_end_in_the_state_of_applying_each_change_once(journey,
                                                                            inspection):
    inspector = journey.inspector
    items = drafts.checklist_for(inspection)[1][:6]

    def seed(seeds):
        for item_id, values in seeds.items():
            for value in values:
                revision = (drafts.drafts_for(inspection).get(item_id).revision
                            if item_id in drafts.drafts_for(inspection) else 0)
                drafts.save_answers(inspector, inspection, [AnswerChange(
                    str(uuid.uuid4()), item_id, value, None, revision)], device_id="other")

    @settings(max_examples=25)
    @given(scenarios(items))
    def check(scenario):
        seeds, batch, deliveries = scenario
        try:
            seed(seeds)
            expected = {r.client_id: r for r in drafts.save_answers(
                inspector, inspection, batch, device_id="tablet")}
            once = snapshot(inspection)
            forget(inspection)

            seed(seeds)
            seen: set[str] = set()
            for delivery in deliveries:
                for result in drafts.save_answers(inspector, inspection,
                                                  [batch[i] for i in delivery],
                                                  device_id="tablet"):
                    assert result.replayed == (result.client_id in seen)
                    stored = expected[result.client_id]
                    assert (result.status, result.revision, result.server_value,
                            result.message) == (stored.status, stored.revision,
                                                stored.server_value, stored.message)
                    seen.add(result.client_id)
            assert snapshot(inspection) == once
        finally:
            forget(inspection)

    check()


def test_copies_of_a_photo_sent_at_the_same_moment_store_one(app, journey, inspection):
    item_id = batch_for(inspection, 1)[0].item_id
    client_id = str(uuid.uuid4())
    user_id, link_id = journey.inspector.id, inspection.id
    db.session.commit()
    start = threading.Barrier(2)
    outcomes: list = [None, None]

    def send(index: int) -> None:
        with app.app_context():
            try:
                start.wait()
                record, created = drafts.add_item_photo(
                    db.session.get(User, user_id), db.session.get(CaseProperty, link_id),
                    item_id, client_id, photo())
                outcomes[index] = (record.id, created)
            except Exception as error:  # reported below, in the test's thread
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes[0][0] == outcomes[1][0]
    assert sorted(created for _, created in outcomes) == [False, True]
    db.session.expire_all()
    record = db.session.scalars(sa.select(Evidence).where(
        Evidence.kind == EvidenceKind.PHOTO)).one()
    assert stored_keys(app) == sorted([record.storage_key, record.preview_key])
