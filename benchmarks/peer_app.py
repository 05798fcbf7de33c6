"""The plain Django digit app we are measured against, written from its recipe (the public
Afshinfathi21/digit-recognizer, "seed 000"): a Django project as `startproject` makes it, one
function view under `manage.py runserver`, the JSON body's data URL decoded, the image
`convert("L")`ed and `resize((28, 28))`d by PIL (no cropping, no centring), a 784→128→128→10
NumPy MLP (ReLU, softmax), and a `JsonResponse`. Its weights are drawn at random from a
fixed seed: what it answers does not matter here, only what answering costs.

    python benchmarks/peer_app.py runserver 127.0.0.1:8001 --noreload
    curl -d '{"image": "data:image/png;base64,..."}' http://127.0.0.1:8001/predict/
"""

from __future__ import annotations

import base64
import io
import json
import sys
import tempfile

import numpy as np
from django.conf import settings
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from PIL import Image

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="peer-benchmark-only",
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
    ],
    MIDDLEWARE=[  # what startproject writes
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{tempfile.mkdtemp()}/peer.sqlite3"}},
    STATIC_URL="static/",
)

rng = np.random.default_rng(0)
W1, B1 = rng.normal(0, 784**-0.5, (784, 128)), np.zeros(128)
W2, B2 = rng.normal(0, 128**-0.5, (128, 128)), np.zeros(128)
W3, B3 = rng.normal(0, 128**-0.5, (128, 10)), np.zeros(10)


def mlp(x: np.ndarray) -> np.ndarray:
    h = np.maximum(x @ W1 + B1, 0)
    h = np.maximum(h @ W2 + B2, 0)
    z = h @ W3 + B3
    e = np.exp(z - z.max())
    return e / e.sum()


@csrf_exempt
def predict(request):
    data = json.loads(request.body)
    encoded = data["image"].split(",", 1)[1]
    image = Image.open(io.BytesIO(base64.b64decode(encoded))).convert("L").resize((28, 28))
    x = np.asarray(image, dtype=np.float64).reshape(1, 784) / 255.0
    probabilities = mlp(x)[0]
    digit = int(probabilities.argmax())
    return JsonResponse({"prediction": digit, "confidence": float(probabilities[digit])})


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("predict/", predict), path("health/", health)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
