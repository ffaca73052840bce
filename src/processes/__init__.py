"""Infrastructure and what happens later: the event store adapters, clocks, and
(to come) timers, process managers and notification delivery."""
