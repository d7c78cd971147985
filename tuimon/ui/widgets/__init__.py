"""Widgets of the monitor; each reads the Store when the app's frame flush asks it to."""
