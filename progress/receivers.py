"""What progress does when the apps below it announce news (connected in ProgressConfig)."""

from django.dispatch import receiver

from programs.models import Program
from programs.signals import calendar_changed
from progress.services import progress_refresh_request
from results.signals import measurements_loaded


@receiver(measurements_loaded, dispatch_uid="progress.refresh_on_measurements_loaded")
def refresh_on_measurements_loaded(*, program_id: int, **kwargs) -> None:
    """New results move the KPIs: queue the program's progress refresh."""
    progress_refresh_request(program_id=program_id)


@receiver(calendar_changed, dispatch_uid="progress.refresh_on_calendar_changed")
def refresh_on_calendar_changed(*, organization_id: int, **kwargs) -> None:
    """Another fiscal calendar cuts the KPIs' periods anew: queue a refresh of each of the
    organization's programs."""
    for program_id in Program.objects.filter(organization_id=organization_id).values_list(
        "pk", flat=True
    ):
        progress_refresh_request(program_id=program_id)
