# The API: gunicorn + Django + our NumPy model, with the shipped model baked in.
# Every runtime dependency has a binary wheel, so no compiler enters any stage.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY model_core model_core
COPY backend backend
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    GUNICORN_BIND=0.0.0.0:8000 DJANGO_PRODUCTION=1
RUN useradd --system --uid 10001 --home /app app
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels digit-recognizer && rm -rf /wheels
COPY --chown=app manage.py ./
COPY --chown=app backend/gunicorn.conf.py backend/gunicorn.conf.py
COPY --chown=app artifacts/*.json artifacts/*.npz artifacts/
COPY --chown=app data/mnist/*.csv.gz data/mnist/
COPY --chown=app data/emnist/*.npz data/emnist/
ENV MODEL_DIR=/app/artifacts MNIST_DIR=/app/data/mnist EMNIST_DIR=/app/data/emnist STATIC_ROOT=/app/static \
    MODEL_CORE_CACHE_DIR=/app/cache
# The docs' assets under content-hashed names (a year's cache; no secret is needed to collect
# them), and MNIST's samples parsed once into the memory-mapped cache every worker shares.
RUN DJANGO_PRODUCTION=0 python manage.py collectstatic --noinput \
    && python -c "from model_core.data.datasets import SampleSet; [SampleSet.mnist(s) for s in ('test', 'train')]"
USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/ready/', timeout=2).status != 200)"
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn -c backend/gunicorn.conf.py backend.config.wsgi:application"]
