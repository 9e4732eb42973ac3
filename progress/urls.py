from django.urls import path

from progress import views

app_name = "progress"

P = "programs/<int:pk>/where-are-we-going/"

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
    # Question 2's KPI and ROI pages load these (the chart kept its path and name's place).
    path(f"{P}kpis/<int:kpi_pk>/progress/", views.kpi_progress, name="kpi_progress"),
    path(f"{P}kpis/<int:kpi_pk>/chart/", views.kpi_chart, name="kpi_chart"),
    path(f"{P}roi/realized/", views.roi_realized, name="roi_realized"),
]
