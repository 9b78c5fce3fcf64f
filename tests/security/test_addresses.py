"""Numbers in addresses that no record can have are unknown pages, never database errors."""

import pytest

from ..factories import UserFactory


@pytest.mark.parametrize("number", ["2147483648", "119647321983887620525829128192"])
def test_an_id_too_large_for_the_database_is_a_plain_404(client, number):
    from accreditation.auth.tokens import create_token

    user = UserFactory(commissioner=True)
    _, token = create_token(user, "test")
    api = client.get(f"/api/v1/cases/{number}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 404
    assert api.mimetype == "application/problem+json"
    client.sign_in(user)
    page = client.get(f"/cases/{number}")
    assert page.status_code == 404
    assert "Page not found" in page.text


@pytest.mark.parametrize("page", ["99999999999999999999", "²", "0", "-1"])
def test_a_page_number_past_any_list_is_refused_or_ignored_not_a_server_error(client, page):
    from accreditation.auth.tokens import create_token

    commissioner = UserFactory(commissioner=True)
    _, token = create_token(commissioner, "test")
    api = client.get("/api/v1/cases", query_string={"page": page},
                     headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 400
    assert api.mimetype == "application/problem+json"
    client.sign_in(UserFactory(social_worker=True))
    checks = client.get("/register/referral-checks", query_string={"page": page})
    assert checks.status_code == 200
