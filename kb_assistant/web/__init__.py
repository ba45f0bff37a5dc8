"""The customer chat widget and the demo help page, served as static files by the HTTP API.

Everything lives in `static/`: `widget.js` and `widget.css` (embedded on a company's site
with one script tag), and `index.html` with `demo.css` (the demo help page). See README.md
in this folder for how to embed the widget.
"""
