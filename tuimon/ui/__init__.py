"""The Textual UI: the only package of tuimon that imports Textual."""
