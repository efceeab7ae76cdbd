"""Every page of the project is sent with the Content-Security-Policy (Django's own
middleware, issue 7 part 9): only this site's scripts and styles, nothing inline, never in a
frame (besides X-Frame-Options: DENY)."""

import pytest
from django.urls import reverse

from dossier.models import DossierItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_of_demo(client, demo):
    from accounts.models import User

    client.force_login(User.objects.get(username="admin"))
    return client


def project_pages() -> list[str]:
    item = DossierItem.objects.filter(item_type__code="KLACHT").first()
    return [
        reverse("admin:index"),
        f"{reverse('admin:dossier_dossieritem_changelist')}?item_type__id__exact={item.item_type_id}&_facets=1",
        reverse("admin:dossier_dossieritem_change", args=[item.pk]),
        reverse("admin:dossier_itemtype_change", args=[item.item_type_id]),
        reverse("dossier:record-choose"),
        reverse("dossier:record-item", args=["KLACHT"]),
        reverse("dossier:item-detail", args=[item.pk]),
        reverse("admin:dossier_relation_import"),
        reverse("admin:dossier_relation_export"),
        reverse("admin:imports_importjob_changelist"),
    ]


def test_every_page_carries_the_content_security_policy(admin_client_of_demo):
    for url in project_pages():
        response = admin_client_of_demo.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy, url
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        assert "frame-ancestors 'none'" in policy, url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        assert response["X-Frame-Options"] == "DENY", url


def test_the_sign_in_page_carries_it_too(client, db):
    response = client.get(reverse("admin:login"))

    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_no_page_has_an_inline_script_or_style_attribute(admin_client_of_demo):
    """What the policy would block in a browser, found in the HTML itself."""
    import re

    for url in project_pages():
        html = admin_client_of_demo.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), url
        assert not re.search(r"\s(style|on[a-z]+)=\"", html), url


# --- every error page carries the security headers (issue 14, part 6) ------------------------

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_security_headers(response, status: int) -> None:
    assert response.status_code == status
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    for header, value in SECURITY_HEADERS.items():
        assert response.get(header) == value, header


def _raises(exception):
    def view(request):
        if request.method == "POST":
            request.POST  # noqa: B018 (reads the body: RequestDataTooBig)
        raise exception

    return view


def _server_fault(request):
    raise RuntimeError("a fault no page should show")


from django.core.exceptions import PermissionDenied, SuspiciousOperation  # noqa: E402
from django.http import Http404, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

from config import urls as project_urls  # noqa: E402

# This module is also the URL configuration of the tests below (pytest.mark.urls): the
# project's pages and error handlers, and four views that fail on purpose.
urlpatterns = [
    path("fails/400/", _raises(SuspiciousOperation("forged"))),
    path("fails/403/", _raises(PermissionDenied)),
    path("fails/404/", _raises(Http404)),
    path("fails/500/", _server_fault),
    path("fails/post/", lambda request: HttpResponse(str(len(request.POST)))),
    *project_urls.urlpatterns,
]
handler400, handler403 = project_urls.handler400, project_urls.handler403
handler404, handler500 = project_urls.handler404, project_urls.handler500
on_failing_views = pytest.mark.urls("tests.test_security_headers")


@pytest.fixture
def quiet_client(client):
    client.raise_request_exception = False  # as with DEBUG off: the error page, not the exception
    return client


@on_failing_views
@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_every_error_page_carries_the_security_headers(quiet_client, status):
    response = quiet_client.get(f"/fails/{status}/")

    assert_security_headers(response, status)


def test_the_500_page_shows_no_trace_of_the_fault(quiet_client, settings):
    settings.ROOT_URLCONF = "tests.test_security_headers"

    response = quiet_client.get("/fails/500/")

    assert "a fault no page should show" not in response.text
    assert_security_headers(response, 500)


def test_a_page_that_does_not_exist_carries_them(client):
    assert_security_headers(client.get("/no-such-page/"), 404)


def test_the_nul_refusal_of_the_middleware_carries_them(client):
    assert_security_headers(client.get("/admin/", {"q": "a\x00b"}), 400)
    form = "username=a%00&password=b"
    posted = client.post(reverse("admin:login"), form, content_type="application/x-www-form-urlencoded")
    assert_security_headers(posted, 400)


def test_an_unknown_host_gets_a_400_page_with_them(client, settings):
    settings.ALLOWED_HOSTS = ["dossier.example"]

    response = client.get("/admin/login/", HTTP_HOST="evil.example")

    assert_security_headers(response, 400)


@on_failing_views
def test_a_request_too_large_gets_a_400_page_with_them(quiet_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = quiet_client.post("/fails/post/", {"text": "x" * 1000})

    assert_security_headers(response, 400)


@on_failing_views
def test_too_many_fields_get_a_400_page_with_them(quiet_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3

    response = quiet_client.post("/fails/post/", {f"f{n}": "x" for n in range(10)})

    assert_security_headers(response, 400)


def test_the_csrf_failure_page_carries_them(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("admin:login"), {"username": "a", "password": "b"})

    assert_security_headers(response, 403)


def test_a_refused_wizard_page_carries_them(client, demo):
    from accounts.models import User

    client.force_login(User.objects.get(username="zonderrechten"))

    assert_security_headers(client.get(reverse("imports:new")), 403)
