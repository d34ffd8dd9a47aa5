from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from django.views.i18n import set_language

from accounts.access import public
from area_clienti import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("", include("accounts.urls")),
    path("", include("security.urls")),
    path("fatture/", include("billing.urls")),
    path("consumi/", include("consumption.urls")),
    path("costi/", include("costs.urls")),
    path("linee/", include("lines.urls")),
    path("offerte/", include("offers.urls")),
    path("assistenza/", include("support.urls")),
    path("tracking/", include("tracking.urls")),
    path("backoffice/", include("backoffice.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("lingua/", public(set_language), name="set-language"),
    # Browsers and bookmarks ask for /favicon.ico whatever the page says: to the static icon
    # (lazy: the manifest's hashed name is known once collectstatic has run, not at import).
    path(
        "favicon.ico",
        public(RedirectView.as_view(url=lazy(static, str)("img/favicon.ico"))),
        name="favicon",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]

handler400 = "area_clienti.views.bad_request"
handler403 = "area_clienti.views.permission_denied"
handler404 = "area_clienti.views.page_not_found"
handler500 = "area_clienti.views.server_error"
