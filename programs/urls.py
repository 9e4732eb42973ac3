from django.urls import path

from programs import views

app_name = "programs"

urlpatterns = [
    path("language/", views.language_set, name="language_set"),
    path("o/<slug:org>/", views.program_list, name="program_list"),
    path("o/<slug:org>/programs/new/", views.program_create, name="program_create"),
    path("o/<slug:org>/members/", views.member_list, name="member_list"),
    path("o/<slug:org>/settings/files/", views.organization_files, name="organization_files"),
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
]
