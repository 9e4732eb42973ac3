from django.urls import path

from kpis import views

app_name = "kpis"

P = "programs/<int:pk>/where-are-we-going/"

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
]
