"""A new organization's departments and channels are named in the language of whoever
makes it (issue 20, item 8); later ones are as people type them."""

import pytest
from django.utils import translation

from initiatives.services import plan_defaults_ensure
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "department", "channel"),
    [
        ("da", "Kundeservice", "Mobilapp"),
        ("nl", "Klantenservice", "Mobiele app"),
        ("en", "Customer service", "Mobile app"),
    ],
)
def test_default_departments_and_channels_speak_the_first_persons_language(
    language, department, channel
):
    with translation.override(language):
        organization = OrganizationFactory(slug=f"shop-{language}")  # its defaults come with it
    plan_defaults_ensure(organization=organization)  # and are not made twice
    assert organization.departments.filter(name=department).exists()
    assert organization.channels.filter(name=channel).exists()
    assert organization.departments.count() == 6 and organization.channels.count() == 8
