"""Alerts: one rule grammar (``SYMBOL METRIC OP VALUE``), metrics read from the Store, and an
engine with hysteresis and a cooldown. Headless: the UI and ``tuimon watch`` both use it."""
