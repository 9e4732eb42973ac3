from django.urls import path

from cycles import views

app_name = "cycles"

urlpatterns = [
    path("programs/<int:pk>/", views.program_home, name="program_home"),
    path("programs/<int:pk>/cycles/", views.cycle_history, name="cycle_history"),
    path("programs/<int:pk>/cycles/compare/", views.cycle_compare, name="cycle_compare"),
    path("programs/<int:pk>/review/", views.review, name="review"),
    path(
        "programs/<int:pk>/review/start-next/",
        views.cycle_start_next,
        name="cycle_start_next",
    ),
    path("programs/<int:pk>/cycle/phase/", views.cycle_phase, name="cycle_phase"),
    path("programs/<int:pk>/cycle/wheel/", views.mini_wheel, name="mini_wheel"),
    path("programs/<int:pk>/questions/<slug:phase>/", views.question, name="question"),
]
