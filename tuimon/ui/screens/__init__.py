"""Screens of the monitor: main, help and symbol search."""
