"""The development harness: what tests, benchmarks and scripts share to run the product and
drive it, and nothing they assert. Serving a temporary stack (`servers`: gunicorn, nginx,
PostgreSQL, Redis on loopback, slow clients), the browser (`browser`: Chromium's launch
options, drawing strokes on the pad), and test images (`images`).

Nothing here imports from `tests/`; `tests/`, `benchmarks/` and `scripts/` import from here.
"""
