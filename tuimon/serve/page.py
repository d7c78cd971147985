"""The page a browser loads: textual-serve's terminal front end (xterm.js) and nothing else.

textual-serve's own template also loads a font from a third-party host; this page does not
(the account view must not tell anyone else that it was opened, and closed networks would
wait on it). The font it names is the Roboto Mono that textual-serve ships in its statics.
"""

from __future__ import annotations

from html import escape
from string import Template

STATIC = "/static/"

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>$title</title>
<link rel="icon" href="data:,">
<link rel="preload" href="${static}fonts/RobotoMono-VariableFont_wght.ttf" as="font"
 type="font/ttf" crossorigin>
<link rel="stylesheet" href="${static}css/xterm.css">
<style>
@font-face {
  font-family: "Roboto Mono";
  src: url("${static}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
}
body { background: #0c181f; color: #e0e0e0; font-family: "Roboto Mono", monospace; }
.ended, #start { display: none; }
body.-closed .ended {
  display: flex; position: absolute; inset: 0; z-index: 10;
  align-items: center; justify-content: center; background: rgba(12, 24, 31, 0.85);
}
</style>
<script src="${static}js/textual.js"></script>
</head>
<body>
<div class="ended" role="status">Session ended: reload the page to start the monitor again.</div>
<button type="button" id="start" onclick="location.search = ''">Start</button>
<div id="terminal" class="textual-terminal" data-session-websocket-url="$websocket_url"
 data-font-size="$font_size"></div>
</body>
</html>
"""
)

FONT_SIZES = range(6, 49)
DEFAULT_FONT_SIZE = 16


def font_size(text: str | None) -> int:
    """The ``?fontsize=`` of the page, bounded (the terminal's cells follow it)."""
    try:
        size = int(text or "", 10)
    except ValueError:
        return DEFAULT_FONT_SIZE
    return size if size in FONT_SIZES else DEFAULT_FONT_SIZE


def render_page(*, title: str, websocket_url: str, size: int) -> str:
    """The HTML; every value is escaped (the WebSocket URL is built from the request's Host)."""
    return _PAGE.substitute(
        title=escape(title),
        static=STATIC,
        websocket_url=escape(websocket_url, quote=True),
        font_size=int(size),
    )
