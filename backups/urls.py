from django.urls import path

from backups import views

app_name = "backups"

urlpatterns = [
    path("o/<slug:org>/programs/restore/", views.program_restore, name="program_restore"),
    path("programs/<int:pk>/backup/", views.program_backup, name="program_backup"),
]
