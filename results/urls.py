from django.urls import path

from results import views

app_name = "results"

R = "programs/<int:pk>/are-we-getting-closer/"

urlpatterns = [
    path(f"{R}sources/", views.source_list, name="sources"),
    path(f"{R}sources/tokens/", views.token_create, name="token_create"),
    path(f"{R}sources/tokens/<int:token_pk>/revoke/", views.token_revoke, name="token_revoke"),
    path(f"{R}sources/<int:source_pk>/", views.source_detail, name="source"),
    path(f"{R}sources/<int:source_pk>/pull/", views.pull_now, name="pull_now"),
    path(f"{R}sources/<int:source_pk>/upload/", views.upload, name="upload"),
    path(
        f"{R}sources/<int:source_pk>/upload/<int:pull_pk>/",
        views.upload_preview,
        name="upload_preview",
    ),
    path(f"{R}sources/<int:source_pk>/runs/<int:pull_pk>/", views.pull_detail, name="pull"),
    path(f"{R}kpis/<int:kpi_pk>/measurements/", views.measurements, name="measurements"),
]
