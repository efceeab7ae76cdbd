"""A write that waited out SQLite's busy timeout (behind a large import, undo or master-data
import storing in the task worker) is a 503 page with one sentence, never a server error."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_site(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.config.busy_urls"
    return Client(raise_request_exception=False)


def test_a_request_that_waited_out_the_lock_gets_a_503_with_one_sentence(busy_site):
    response = busy_site.get("/busy/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "The server is busy storing a large import, so nothing of this request was saved." in response.text


def test_the_busy_sentence_is_in_dutch_for_a_dutch_reader(busy_site):
    response = busy_site.get("/busy/", HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 503
    assert "De server is bezig met het opslaan van een grote import" in response.text


def test_the_busy_page_carries_the_security_headers(busy_site):
    response = busy_site.get("/busy/")

    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"


def test_another_database_error_stays_a_server_error(busy_site):
    assert busy_site.get("/broken/").status_code == 500
