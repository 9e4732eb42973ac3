"""What the results announce to the apps above them (ARCHITECTURE.md: upward news travels
by signal, so a lower app never imports a higher one)."""

from django.dispatch import Signal

# Sent after a pull, an upload or a push wrote measurements of a program, inside the request
# or job that wrote them (receivers queue their work on commit). Argument: program_id.
measurements_loaded = Signal()
