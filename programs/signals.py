"""What the shared core announces to the apps above it (ARCHITECTURE.md: upward news
travels by signal, so a lower app never imports a higher one)."""

from django.dispatch import Signal

# Sent when an organization's fiscal calendar changed, inside the request that changed it
# (receivers queue their work on commit). Argument: organization_id.
calendar_changed = Signal()
