from django.urls import path

from programs import views, views_review

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
    path("programs/<int:pk>/", views.program_home, name="program_home"),
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
    path("programs/<int:pk>/cycles/", views.cycle_history, name="cycle_history"),
    path("programs/<int:pk>/cycles/compare/", views_review.cycle_compare, name="cycle_compare"),
    path("programs/<int:pk>/review/", views_review.review, name="review"),
    path(
        "programs/<int:pk>/review/start-next/",
        views_review.cycle_start_next,
        name="cycle_start_next",
    ),
    path("programs/<int:pk>/cycle/phase/", views.cycle_phase, name="cycle_phase"),
    path("programs/<int:pk>/questions/<slug:phase>/", views.question, name="question"),
]
