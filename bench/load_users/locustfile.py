"""The load test's users (run by ``bench/load.py`` as its own ``locust`` process).

Providers sign in once, look at their pages, update vacancies and now and then upload a small
evidence file; inspectors' tablets sync batches of answers with fresh client ids and replay
some; social workers search the register, as pages and through the JSON API. Which accounts
to use comes from the JSON file named by ``ACCREDITATION_LOAD_DATA`` (made by bench/load.py).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from pathlib import Path

from locust import HttpUser, between, task

DATA = json.loads(Path(os.environ["ACCREDITATION_LOAD_DATA"]).read_text())
PASSWORD = DATA["password"]
_turns = {kind: itertools.count() for kind in ("providers", "inspectors", "social_workers")}
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
SEARCHES = [{"q": "harbour"}, {"q": "care leavers"}, {"local_authority": "2"},
            {"vacancies": "yes"}, {"age": "17"}, {"q": "london", "page": "2"}, {}]


def next_account(kind: str) -> dict:
    accounts = DATA[kind]
    return accounts[next(_turns[kind]) % len(accounts)]


class BrowserUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = ""

    def form_token(self, path: str, name: str) -> str | None:
        with self.client.get(path, name=name, catch_response=True) as response:
            match = _CSRF.search(response.text or "")
            if match is None:
                response.failure(f"no form on {path} ({response.status_code})")
                return None
            return match.group(1)

    def post_form(self, path: str, name: str, data: dict, expect: int, form_page: str,
                  form_name: str, **kwargs) -> None:
        token = self.form_token(form_page, form_name)
        if token is None:
            return
        with self.client.post(path, data={**data, "csrf_token": token}, name=name,
                              allow_redirects=False, catch_response=True, **kwargs) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    def sign_in(self) -> None:
        self.post_form("/sign-in", f"{self.role}: sign in", {"email": self.me["email"],
                       "password": PASSWORD}, 302, "/sign-in", f"{self.role}: sign-in page")


class Provider(BrowserUser):
    weight = 4
    role = "provider"

    def on_start(self) -> None:
        self.me = next_account("providers")
        self.sign_in()

    @task(6)
    def pages(self) -> None:
        home = random.choice(self.me["properties"])
        path = random.choice(["/provider/", "/provider/properties", "/evidence/",
                              f"/provider/properties/{home['id']}"])
        self.client.get(path, name="provider: pages")

    @task(2)
    def update_vacancies(self) -> None:
        home = random.choice(self.me["properties"])
        page = f"/provider/properties/{home['id']}"
        self.post_form(f"{page}/vacancies", "provider: update vacancies",
                       {"vacancies": str(random.randint(0, home["bed_spaces"]))}, 302, page,
                       "provider: pages")

    @task(1)
    def upload_evidence(self) -> None:
        self.post_form("/evidence/", "provider: upload evidence",
                       {"purpose": random.choice(["insurance_certificate", "policy", "other"])},
                       303, "/evidence/", "provider: pages",
                       files={"file": ("certificate.pdf", PDF, "application/pdf")})


class Inspector(HttpUser):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.me = next_account("inspectors")
        self.client.headers["Authorization"] = f"Bearer {self.me['token']}"
        self.device = uuid.uuid4().hex
        self.sent: tuple[int, dict] | None = None

    def sync(self, link_id: int, body: dict, name: str) -> None:
        with self.client.post(f"/api/v1/inspections/{link_id}/answers", json=body, name=name,
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(4)
    def send_answers(self) -> None:
        link = random.choice(self.me["links"])
        body = {"device_id": self.device, "changes": [
            {"client_id": str(uuid.uuid4()), "item_id": random.choice(link["items"]),
             "value": random.choice(["yes", "no"]), "base_revision": 0}
            for _ in range(random.randint(1, 5))]}
        self.sync(link["id"], body, "inspector: sync answers")
        self.sent = (link["id"], body)

    @task(1)
    def replay(self) -> None:
        # The reply was lost on a bad connection: the tablet sends the same batch again.
        if self.sent is not None:
            self.sync(*self.sent, "inspector: replay answers")

    @task(1)
    def inspections(self) -> None:
        self.client.get("/api/v1/inspector/inspections", name="inspector: inspections")


class SocialWorker(BrowserUser):
    weight = 3
    role = "social worker"

    def on_start(self) -> None:
        self.me = next_account("social_workers")
        self.sign_in()

    @task(2)
    def search_pages(self) -> None:
        self.client.get("/register/", params=random.choice(SEARCHES),
                        name="social worker: register pages")

    @task(2)
    def search_api(self) -> None:
        self.client.get("/api/v1/register/properties", params=random.choice(SEARCHES),
                        headers={"Authorization": f"Bearer {self.me['token']}"},
                        name="social worker: register API")
