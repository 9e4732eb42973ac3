import pytest
from django.apps import apps
from django.contrib import admin

pytestmark = pytest.mark.django_db

APPS = (
    "programs",
    "assessments",
    "segments",
    "kpis",
    "initiatives",
    "blueprints",
    "progress",
    "cycles",
)


def test_every_model_is_in_the_django_admin():
    missing = [
        model.__name__
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        # Change histories are shown by their model's admin (the "History" button).
        if model not in admin.site._registry and not model.__name__.startswith("Historical")
    ]
    assert not missing


def test_admin_pages_answer_for_staff(admin_client, world):
    for model in apps.get_app_config("programs").get_models():
        if model.__name__.startswith("Historical"):
            continue  # shown by its model's admin
        url = f"/admin/programs/{model._meta.model_name}/"
        assert admin_client.get(url).status_code == 200, url


def test_admin_site_refuses_non_staff(as_user):
    response = as_user("admin").get("/admin/programs/program/")
    assert response.status_code == 302
