from django.urls import path

from progress import views

app_name = "progress"

urlpatterns = [
    path("o/<slug:org>/portfolio/", views.portfolio, name="portfolio"),
    path("o/<slug:org>/notifications/", views.notifications, name="notifications"),
    path("programs/<int:pk>/dashboard/", views.dashboard, name="dashboard"),
    path("programs/<int:pk>/dashboard/seen/", views.dashboard_seen, name="dashboard_seen"),
    path("programs/<int:pk>/dashboard/chart/", views.dashboard_chart, name="dashboard_chart"),
    path(
        "programs/<int:pk>/dashboard/views/",
        views.dashboard_filter_save,
        name="dashboard_filter_save",
    ),
    path(
        "programs/<int:pk>/dashboard/views/<int:filter_pk>/delete/",
        views.dashboard_filter_delete,
        name="dashboard_filter_delete",
    ),
]
