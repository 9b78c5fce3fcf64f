"""A restore drill: ``accreditation backup`` taken while providers keep uploading evidence,
restored with ``accreditation restore`` into a new PostgreSQL database and a new bucket on
SeaweedFS; there the audit chain verifies and every evidence record's object is stored with
the SHA-256 its record keeps."""

from __future__ import annotations

import io
import subprocess
import threading
import uuid

import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.datastructures import FileStorage

from accreditation.evidence import operations
from accreditation.evidence.models import Evidence, EvidencePurpose
from accreditation.evidence.s3_storage import S3Storage
from accreditation.extensions import db

from ..evidence import samples
from ..factories import UserFactory
from ..seaweedfs import start_seaweedfs
from .data import app_for
from .stack import BIN, ROOT, app_environment, new_database, s3_environment

BEFORE = 12  # files stored before the backup starts
PROVIDERS = 3


def accreditation(environment: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own command line)
        [str(BIN / "accreditation"), *args], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=300)


def upload(provider_id: int, number: int) -> None:
    from accreditation.auth.models import User

    provider = db.session.get(User, provider_id)
    operations.upload_evidence(
        provider, provider.organisation,
        FileStorage(io.BytesIO(samples.pdf(f"% file {number}".encode())),
                    filename=f"policy-{number}.pdf"),
        purpose=EvidencePurpose.POLICY)


def test_a_backup_taken_under_load_restores_and_verifies(postgres, tmp_path):
    seaweed = start_seaweedfs()
    name = f"backup_{uuid.uuid4().hex[:8]}"
    live, restored = new_database(postgres, name), new_database(postgres, name + "_restored")
    buckets = {"live": f"live-{uuid.uuid4().hex[:8]}",
               "restored": f"restored-{uuid.uuid4().hex[:8]}"}
    for bucket in buckets.values():
        S3Storage(bucket=bucket, endpoint_url=seaweed.endpoint_url, region="us-east-1",
                  access_key_id=seaweed.access_key, secret_access_key=seaweed.secret_key,
                  ).create_bucket_if_missing()
    try:
        app = app_for(live)
        app.extensions["evidence_storage"] = S3Storage(
            bucket=buckets["live"], endpoint_url=seaweed.endpoint_url, region="us-east-1",
            access_key_id=seaweed.access_key, secret_access_key=seaweed.secret_key)
        with app.app_context():
            upgrade()
            providers = [UserFactory(provider=True).id for _ in range(PROVIDERS)]
            db.session.commit()
            for number in range(BEFORE):
                upload(providers[number % PROVIDERS], number)

        # Providers keep uploading while the backup runs.
        stop = threading.Event()
        uploaded: list[int] = []

        def keep_uploading(provider_id: int, start: int) -> None:
            with app.app_context():
                number = start
                while not stop.is_set() and number < start + 200:
                    upload(provider_id, number)
                    uploaded.append(number)
                    number += 1
                db.session.remove()

        workers = [threading.Thread(target=keep_uploading, args=(provider, 1000 * (i + 1)))
                   for i, provider in enumerate(providers)]
        for worker in workers:
            worker.start()
        folder = tmp_path / "backup"
        backed_up = accreditation(app_environment(live, **s3_environment(seaweed, buckets["live"])),
                                  "backup", str(folder))
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        assert backed_up.returncode == 0, backed_up.stdout + backed_up.stderr
        assert uploaded, "nothing was uploaded while the backup ran"

        there = app_environment(restored, **s3_environment(seaweed, buckets["restored"]))
        restoring = accreditation(there, "restore", str(folder))
        assert restoring.returncode == 0, restoring.stdout + restoring.stderr

        audit = accreditation(there, "audit", "verify")
        assert audit.returncode == 0, audit.stdout + audit.stderr
        assert "Audit chain intact" in audit.stdout
        evidence = accreditation(there, "evidence", "verify")
        assert evidence.returncode == 0, evidence.stdout + evidence.stderr
        engine = sa.create_engine(restored)
        with engine.connect() as connection:
            records = connection.scalar(sa.select(sa.func.count()).select_from(Evidence))
        engine.dispose()
        assert records >= BEFORE
        assert f"Checked {records} evidence record(s): 0 missing, 0 different." in evidence.stdout
        print(f"\nrestore drill: {records} evidence records restored "
              f"({len(uploaded)} uploads while the backup ran), 0 missing, 0 different")

        # A restore never writes over a database or store in use.
        again = accreditation(there, "restore", str(folder))
        assert again.returncode != 0
        assert "is not empty" in again.stdout + again.stderr
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        seaweed.stop()
