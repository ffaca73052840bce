"""Process managers, clocks, timers and notification delivery."""
