from django.urls import path

from programs import views

app_name = "programs"

urlpatterns = [
    path("o/<slug:org>/", views.program_list, name="program_list"),
    path("o/<slug:org>/programs/new/", views.program_create, name="program_create"),
    path("o/<slug:org>/portfolio/", views.portfolio, name="portfolio"),
    path("o/<slug:org>/notifications/", views.notifications, name="notifications"),
    path("o/<slug:org>/members/", views.member_list, name="member_list"),
    path("o/<slug:org>/members/invite/", views.member_invite, name="member_invite"),
    path("o/<slug:org>/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("o/<slug:org>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "o/<slug:org>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("programs/<int:pk>/edit/", views.program_edit, name="program_edit"),
    path("programs/<int:pk>/dashboard/", views.dashboard, name="dashboard"),
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
