"""The admin frame of our own pages, and the error pages (400, 403, 404 and the CSRF failure)
in the admin's look and the user's language; 500.html is rendered without a request context
or the database (`server_error`).

Every error page carries the security headers the other pages carry (`with_security_headers`):
an error raised in a middleware (a request too large, an unknown host, a NUL character) is
answered before the response passes the middlewares that would add them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.middleware.security import SecurityMiddleware
from django.shortcuts import render
from django.template import loader


def admin_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """A page of our own in the admin's frame: its header, user links and, for staff, the
    navigation sidebar (a signed-in user without staff status has no admin apps to list)."""
    admin_context = admin.site.each_context(request)
    if not admin_context["has_permission"]:
        admin_context["is_nav_sidebar_enabled"] = False
    return render(request, template, {**admin_context, **context}, status=status)


def error_page(request: HttpRequest, template: str, status: int, **context: Any) -> HttpResponse:
    """An error page with the admin's header (and its user links for a signed-in staff user),
    without the admin's app list and its queries."""
    signed_in = hasattr(request, "user") and admin.site.has_permission(request)  # no user: refused before auth
    context = {
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
        "has_permission": signed_in,
        **context,
    }
    return with_security_headers(request, render(request, template, context, status=status))


def with_security_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The headers SecurityMiddleware, XFrameOptionsMiddleware and the Content-Security-Policy
    middleware add (X-Content-Type-Options, Referrer-Policy, Cross-Origin-Opener-Policy,
    Strict-Transport-Security over HTTPS, X-Frame-Options, Content-Security-Policy), set
    here too; none is set twice when the response passes them after all."""
    for middleware in (SecurityMiddleware, XFrameOptionsMiddleware, ContentSecurityPolicyMiddleware):
        response = middleware(_unused_get_response).process_response(request, response)
    return response


def _unused_get_response(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError  # only process_response of the middlewares is called


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, "404.html", 404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's own page has an inline style the Content-Security-Policy blocks; the reason
    (for developers) stays out of the page."""
    return error_page(request, "403_csrf.html", 403)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's own 500 page (templates/500.html, no request context, no database), with the
    security headers."""
    return with_security_headers(request, HttpResponseServerError(loader.get_template("500.html").render()))
