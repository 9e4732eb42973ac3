from django.urls import path

from assessments import views

app_name = "assessments"

P = "programs/<int:pk>/where-are-we/"

urlpatterns = [
    path(P, views.summary, name="summary"),
    path(f"{P}assessment/", views.assessment_form, name="assessment"),
    path(f"{P}assessment/copy/", views.assessment_copy, name="assessment_copy"),
    path(f"{P}assessment.csv", views.assessment_csv, name="assessment_csv"),
    path(f"{P}assessment/<int:dimension_pk>/", views.answer_save, name="answer_save"),
    path(f"{P}assessment/<int:dimension_pk>/confirm/", views.answer_confirm, name="answer_confirm"),
    path(f"{P}assessment/confirm/", views.assessment_confirm_all, name="assessment_confirm_all"),
    path(f"{P}drivers/", views.driver_list, name="drivers"),
    path(f"{P}drivers.csv", views.driver_csv, name="drivers_csv"),
    path(f"{P}drivers/<int:driver_pk>/", views.driver_detail, name="driver"),
    path(f"{P}drivers/<int:driver_pk>/edit/", views.driver_edit, name="driver_edit"),
    path(f"{P}drivers/<int:driver_pk>/delete/", views.driver_delete, name="driver_delete"),
    path(f"{P}drivers/<int:driver_pk>/validate/", views.driver_validate, name="driver_validate"),
    path(f"{P}drivers/<int:driver_pk>/changes/", views.driver_change_add, name="driver_change_add"),
    path(f"{P}gaps/", views.gap_list, name="gaps"),
    path(f"{P}gaps/regenerate/", views.gaps_regenerate, name="gaps_regenerate"),
    path(f"{P}gaps/<int:gap_pk>/", views.gap_edit, name="gap_edit"),
    path("o/<slug:org>/dimensions/", views.dimension_list, name="dimensions"),
    path(
        "o/<slug:org>/dimensions/<int:dimension_pk>/", views.dimension_edit, name="dimension_edit"
    ),
    path(
        "o/<slug:org>/dimensions/<int:dimension_pk>/retire/",
        views.dimension_retire,
        name="dimension_retire",
    ),
]
