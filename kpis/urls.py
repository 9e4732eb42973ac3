from django.urls import path

from kpis import views, views_discovery, views_results

app_name = "kpis"

P = "programs/<int:pk>/where-are-we-going/"
S = "o/<slug:org>/segments/"
R = "programs/<int:pk>/are-we-getting-closer/"
D = "o/<slug:org>/segments/discover/"

urlpatterns = [
    path(P, views.summary, name="summary"),
    path(f"{P}goals/new/", views.goal_form, name="goal_create"),
    path(f"{P}goals/<int:goal_pk>/edit/", views.goal_form, name="goal_edit"),
    path(f"{P}goals/<int:goal_pk>/delete/", views.goal_delete, name="goal_delete"),
    path(f"{P}goals/<int:goal_pk>/kpis/new/", views.kpi_create, name="kpi_create"),
    path(f"{P}kpis/<int:kpi_pk>/", views.kpi_detail, name="kpi"),
    path(f"{P}kpis/<int:kpi_pk>/chart/", views.kpi_chart, name="kpi_chart"),
    path(f"{P}kpis/<int:kpi_pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path(f"{P}kpis/<int:kpi_pk>/delete/", views.kpi_delete, name="kpi_delete"),
    path(
        f"{P}kpis/<int:kpi_pk>/period-targets/", views.kpi_period_targets, name="kpi_period_targets"
    ),
    path(f"{P}roi/", views.roi, name="roi"),
    path(f"{P}questions/", views.questions, name="questions"),
    path(f"{P}questions/<slug:question>/", views.question_save, name="question_save"),
    path(S, views.segment_list, name="segments"),
    path(f"{S}<int:segment_pk>/", views.segment_detail, name="segment"),
    path(f"{S}<int:segment_pk>/delete/", views.segment_delete, name="segment_delete"),
    path(
        f"{S}<int:segment_pk>/conditions/",
        views.segment_condition_add,
        name="segment_condition_add",
    ),
    path(
        f"{S}<int:segment_pk>/conditions/<int:condition_pk>/delete/",
        views.segment_condition_delete,
        name="segment_condition_delete",
    ),
    path(f"{S}<int:segment_pk>/reach/", views_discovery.segment_reach, name="segment_reach"),
    path(f"{D}", views_discovery.table_list, name="discovery"),
    path(f"{D}tables/<int:table_pk>/", views_discovery.customer_table, name="customer_table"),
    path(
        f"{D}tables/<int:table_pk>/delete/",
        views_discovery.customer_table_delete,
        name="customer_table_delete",
    ),
    path(f"{D}runs/<int:run_pk>/", views_discovery.cluster_run, name="cluster_run"),
    path(
        f"{D}runs/<int:run_pk>/clusters/<int:number>/save/",
        views_discovery.cluster_save,
        name="cluster_save",
    ),
    path("o/<slug:org>/attributes/", views.attribute_list, name="attributes"),
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
