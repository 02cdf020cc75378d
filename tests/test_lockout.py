"""Password guessing: django-axes locks a username at one address out after ten wrong
passwords, through the real admin login form (issue 10)."""

import pytest
from django.core.management import call_command

from . import factories

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery"


@pytest.fixture
def olena(editors_group):
    user = factories.UserFactory(username="olena", groups=[editors_group])
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": "olena", "password": password}, REMOTE_ADDR=address)


def signed_in(client):
    return "_auth_user_id" in client.session


def test_nine_wrong_passwords_then_the_right_one_signs_in(client, olena):
    for _ in range(9):
        assert sign_in(client, "guess").status_code == 200
    assert sign_in(client, PASSWORD).status_code == 302
    assert signed_in(client)


def test_ten_wrong_passwords_lock_out_and_the_right_one_then_waits(client, olena):
    for _ in range(9):
        response = sign_in(client, "guess")
        assert "Please enter the correct username and password" in response.content.decode()
    locked = sign_in(client, "guess")
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode()

    response = sign_in(client, PASSWORD)

    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many wrong passwords were tried for this account" in text
    assert "0:30:00" in text
    assert not signed_in(client)


def test_a_lockout_holds_one_address_not_the_editor_everywhere(client, olena):
    for _ in range(10):
        sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 429
    assert sign_in(client, PASSWORD, address="198.51.100.9").status_code == 302


def test_axes_reset_username_unlocks_as_the_readme_says(client, olena):
    for _ in range(10):
        sign_in(client, "guess")
    call_command("axes_reset_username", "olena", verbosity=0)
    assert sign_in(client, PASSWORD).status_code == 302
    assert signed_in(client)
