from django.urls import path

from initiatives import views

app_name = "initiatives"

P = "programs/<int:pk>/how-do-we-get-there/"
ONE = f"{P}initiatives/<int:initiative_pk>/"

urlpatterns = [
    path(f"{P}map/", views.initiative_map, name="map"),
    path(f"{P}map/in-flight/", views.in_flight, name="in_flight"),
    path(f"{P}initiatives/", views.backlog, name="backlog"),
    path(f"{P}initiatives/new/", views.initiative_form, name="initiative_create"),
    path(f"{P}initiatives.csv", views.export_csv, name="export_csv"),
    path(f"{P}initiatives/import/", views.import_csv, name="import_csv"),
    path(f"{P}collisions/acknowledge/", views.collision_acknowledge, name="collision_acknowledge"),
    path(ONE, views.initiative_detail, name="initiative"),
    path(f"{ONE}edit/", views.initiative_form, name="initiative_edit"),
    path(f"{ONE}delete/", views.initiative_delete, name="initiative_delete"),
    path(f"{ONE}effects/", views.effect_add, name="effect_add"),
    path(f"{ONE}effects/<int:effect_pk>/delete/", views.effect_delete, name="effect_delete"),
    path(f"{ONE}pie/", views.pie_score, name="pie_score"),
    path("o/<slug:org>/plan-settings/", views.plan_settings, name="settings"),
    path(
        "o/<slug:org>/plan-settings/<slug:kind>/<int:item_pk>/delete/",
        views.plan_vocabulary_delete,
        name="vocabulary_delete",
    ),
]
