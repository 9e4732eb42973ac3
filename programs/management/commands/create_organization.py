from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from programs.services import organization_create


class Command(BaseCommand):
    help = "Create an organization and make an existing user its first admin."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The organization's name, e.g. 'Acme Retail'.")
        parser.add_argument("--admin", required=True, help="Username of its first admin.")

    def handle(self, *args, name: str, admin: str, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(username=admin)
        except User.DoesNotExist:
            raise CommandError(
                f"No user '{admin}'. Create one first: python manage.py createsuperuser"
            ) from None
        organization = organization_create(name=name, admin=user)
        self.stdout.write(f"Created {organization.name} (/o/{organization.slug}/), admin {user}.")
