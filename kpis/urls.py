from django.urls import path

from kpis import views, views_results

app_name = "kpis"

P = "programs/<int:pk>/where-are-we-going/"
R = "programs/<int:pk>/are-we-getting-closer/"

urlpatterns = [
    path(P, views.summary, name="summary"),
    path(f"{P}goals/new/", views.goal_form, name="goal_create"),
    path(f"{P}goals/<int:goal_pk>/edit/", views.goal_form, name="goal_edit"),
    path(f"{P}goals/<int:goal_pk>/delete/", views.goal_delete, name="goal_delete"),
    path(f"{P}goals/<int:goal_pk>/kpis/new/", views.kpi_create, name="kpi_create"),
    path(f"{P}kpis/<int:kpi_pk>/", views.kpi_detail, name="kpi"),
    path(f"{P}kpis/<int:kpi_pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path(f"{P}kpis/<int:kpi_pk>/delete/", views.kpi_delete, name="kpi_delete"),
    path(
        f"{P}kpis/<int:kpi_pk>/period-targets/", views.kpi_period_targets, name="kpi_period_targets"
    ),
    path(f"{P}roi/", views.roi, name="roi"),
    path(f"{P}questions/", views.questions, name="questions"),
    path(f"{P}questions/<slug:question>/", views.question_save, name="question_save"),
    path(f"{R}sources/", views_results.source_list, name="sources"),
    path(f"{R}sources/tokens/", views_results.token_create, name="token_create"),
    path(
        f"{R}sources/tokens/<int:token_pk>/revoke/", views_results.token_revoke, name="token_revoke"
    ),
    path(f"{R}sources/<int:source_pk>/", views_results.source_detail, name="source"),
    path(f"{R}sources/<int:source_pk>/pull/", views_results.pull_now, name="pull_now"),
    path(f"{R}sources/<int:source_pk>/upload/", views_results.upload, name="upload"),
    path(
        f"{R}sources/<int:source_pk>/upload/<int:pull_pk>/",
        views_results.upload_preview,
        name="upload_preview",
    ),
    path(f"{R}sources/<int:source_pk>/runs/<int:pull_pk>/", views_results.pull_detail, name="pull"),
    path(f"{R}kpis/<int:kpi_pk>/measurements/", views_results.measurements, name="measurements"),
]
