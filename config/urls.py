from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views.generic import RedirectView

admin.site.site_header = _("Dossier items")
admin.site.site_title = _("Dossier items")
admin.site.index_title = _("Configuration, records and imports")

# Django's own Dutch catalogue lacks its new blank-choice label; ours carries it.
gettext_noop("- Select an option -")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/items/", include("dossier.urls")),
    path("admin/imports/new/", include("imports.urls")),
    path("admin/review-tasks/", include("review.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Error pages in the admin's look and the user's language (500.html without a request context), each
# with the security headers (config.views.with_security_headers).
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
