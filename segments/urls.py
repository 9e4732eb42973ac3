from django.urls import path

from segments import views

app_name = "segments"

S = "o/<slug:org>/segments/"
D = "o/<slug:org>/segments/discover/"

urlpatterns = [
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
    path(f"{S}<int:segment_pk>/reach/", views.segment_reach, name="segment_reach"),
    path(f"{D}", views.table_list, name="discovery"),
    path(f"{D}tables/<int:table_pk>/", views.customer_table, name="customer_table"),
    path(
        f"{D}tables/<int:table_pk>/delete/",
        views.customer_table_delete,
        name="customer_table_delete",
    ),
    path(f"{D}runs/<int:run_pk>/", views.cluster_run, name="cluster_run"),
    path(
        f"{D}runs/<int:run_pk>/clusters/<int:number>/save/",
        views.cluster_save,
        name="cluster_save",
    ),
    path("o/<slug:org>/attributes/", views.attribute_list, name="attributes"),
]
