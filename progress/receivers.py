"""What progress does when the apps below it announce news (connected in ProgressConfig)."""

from django.dispatch import receiver

from progress.services import progress_refresh_request
from results.signals import measurements_loaded


@receiver(measurements_loaded, dispatch_uid="progress.refresh_on_measurements_loaded")
def refresh_on_measurements_loaded(*, program_id: int, **kwargs) -> None:
    """New results move the KPIs: queue the program's progress refresh."""
    progress_refresh_request(program_id=program_id)
