from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from backups.backup import MOVED
from demo import views as demo_views
from programs import views as program_views
from programs.health import HealthView
from programs.ratelimit import per_client
from results.api import api

# At most FOURFOLD_LOGIN_RATE login attempts per client address, on either login form
# (beside django-axes' lock-out of a username after five wrong passwords).
login_limited = per_client("login", "FOURFOLD_LOGIN_RATE")

# The admin's pages of models that moved app (issue 19) keep their old addresses, as
# redirects to the new ones: bookmarks and links in notes still work.
admin_moved = [
    re_path(
        rf"^admin/{old.replace('.', '/')}/(?P<rest>.*)$",
        RedirectView.as_view(
            url=f"/admin/{new.replace('.', '/')}/%(rest)s", permanent=True, query_string=True
        ),
    )
    for old, new in MOVED.items()
    if not old.split(".")[1].startswith("historical")
]

urlpatterns = [
    path("", program_views.home, name="home"),
    path("accounts/login/", login_limited(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "health/",
        HealthView.as_view(checks=["health_check.checks.Database", "programs.health.Broker"]),
        name="health",
    ),
    path(
        "health/worker/",
        HealthView.as_view(checks=["programs.health.WorkerAlive"]),
        name="health_worker",
    ),
    path("admin/login/", login_limited(admin.site.login)),  # before the admin's own
    *admin_moved,
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("programs.urls")),
    path("", include("assessments.urls")),
    path("", include("segments.urls")),
    path("", include("kpis.urls")),
    path("", include("initiatives.urls")),
    path("", include("blueprints.urls")),
    path("", include("results.urls")),
    path("", include("progress.urls")),
    path("", include("cycles.urls")),
    path("", include("backups.urls")),
]

admin.site.site_header = "Fourfold administration"
admin.site.site_title = "Fourfold"

if settings.DEBUG:
    # The demo program's HTTP result source pulls from here (demo/seed.py).
    urlpatterns.append(
        path("demo/results-feed/", demo_views.demo_results_feed, name="demo_results_feed")
    )

# 403 and 404 keep the top bar of the person's organization.
handler403 = "programs.errors.permission_denied"
handler404 = "programs.errors.page_not_found"
# A lost database answers 503 ("back in a moment"), any other failure 500.
handler500 = "programs.errors.server_error"
