from django.urls import path

from blueprints import views

app_name = "blueprints"

P = "programs/<int:pk>/how-do-we-get-there/blueprints/"
B = f"{P}<int:blueprint_pk>/"

urlpatterns = [
    path(P, views.blueprint_list, name="list"),
    path(f"{P}import/", views.import_json, name="import"),
    path(B, views.blueprint_detail, name="blueprint"),
    path(f"{B}export.json", views.export_json, name="export"),
    path(f"{B}stages/", views.stage_add, name="stage_add"),
    path(f"{B}stages/<int:stage_pk>/<slug:action>/", views.stage_action, name="stage_action"),
    path(f"{B}stages/<int:stage_pk>/offers/new/", views.offer_form, name="offer_create"),
    path(f"{B}offers/<int:offer_pk>/edit/", views.offer_form, name="offer_edit"),
    # Before offer_action, whose <slug:action> would take "propensity" too.
    path(f"{B}offers/<int:offer_pk>/propensity/", views.offer_propensity, name="offer_propensity"),
    path(f"{B}offers/<int:offer_pk>/<slug:action>/", views.offer_action, name="offer_action"),
    path(
        f"{B}conditions/<int:condition_pk>/delete/", views.condition_delete, name="condition_delete"
    ),
    path(f"{B}propensity/", views.propensity_runs, name="propensity"),
    path(f"{B}propensity/upload/", views.propensity_upload, name="propensity_upload"),
    path(f"{B}propensity/v<int:version>/", views.propensity_run, name="propensity_run"),
    path(
        f"{B}propensity/v<int:version>/reliability/",
        views.propensity_chart,
        name="propensity_chart",
    ),
    path(
        f"{B}propensity/v<int:version>/models.json",
        views.propensity_download,
        name="propensity_download",
    ),
    path(f"{B}simulator/", views.simulator, name="simulator"),
    path(f"{B}simulator/batches/", views.batch_create, name="batch_create"),
    path(f"{B}simulator/batches/<int:batch_pk>/", views.batch_detail, name="batch"),
    path(
        f"{B}simulator/batches/<int:batch_pk>/decisions.csv",
        views.batch_download,
        name="batch_download",
    ),
]
