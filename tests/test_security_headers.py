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
