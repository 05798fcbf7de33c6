"""Damaged image files of every accepted format — cut short anywhere, a byte flipped
anywhere — are a 4xx in JSON to predict and to feedback, as JSON base64 and as uploads; never
a 500. The same files through model_core raise only its PreprocessError."""

import base64
import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from rest_framework.test import APIClient

from model_core.imaging.decode import ACCEPTED_FORMATS, PreprocessError
from model_core.imaging.preprocess import preprocess

pytestmark = pytest.mark.django_db

CASES_PER_FORMAT = 40  # cuts and flips each, seeded: the same files every run


def original(fmt: str) -> bytes:
    image = Image.new("RGB", (64, 48), (20, 20, 20))
    ImageDraw.Draw(image).line([(18, 10), (46, 10), (28, 40)], fill=(240, 240, 240), width=5)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    return buffer.getvalue()


def damaged(fmt: str) -> list[tuple[str, bytes]]:
    """Cut after every header byte and at spread-out lengths; one byte flipped at seeded places,
    the header's bytes most of all (where parsers trip)."""
    data = original(fmt)
    rng = np.random.default_rng(sum(map(ord, fmt)))
    cuts = sorted({*range(1, min(len(data), 40)), *rng.integers(1, len(data), CASES_PER_FORMAT // 2).tolist()})
    out = [(f"{fmt} cut at {n}", data[:n]) for n in cuts[:CASES_PER_FORMAT]]
    places = [*rng.integers(0, min(len(data), 64), CASES_PER_FORMAT // 2), *rng.integers(0, len(data), 10)]
    for place in places:
        flipped = bytearray(data)
        flipped[place] ^= 1 << int(rng.integers(0, 8))
        out.append((f"{fmt} bit flipped at {place}", bytes(flipped)))
    return out


CASES = [case for fmt in ACCEPTED_FORMATS for case in damaged(fmt)]


@pytest.fixture(autouse=True)
def unthrottled(settings):
    """Hundreds of requests from one client: the throttles are not what is tested here."""
    rates = {scope: "100000/min" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_model_core_raises_only_its_own_errors():
    for name, data in CASES:
        try:
            preprocess(data)
        except PreprocessError:
            pass
        except Exception as exc:  # noqa: BLE001  the assertion below says which file and what
            pytest.fail(f"{name}: {type(exc).__name__}: {exc}")


@pytest.mark.parametrize("fmt", ACCEPTED_FORMATS)
@pytest.mark.parametrize("url", ["/api/predict-digit/", "/api/feedback/"])
def test_a_damaged_file_is_a_4xx_in_json_to_predict_and_feedback(fmt, url):
    client = APIClient()
    extra = {"true_label": "7"} if "feedback" in url else {}
    for name, data in (case for case in CASES if case[0].startswith(fmt)):
        as_json = {"image": "data:image/png;base64," + base64.b64encode(data).decode(), **extra}
        upload = {"image": io.BytesIO(data), **extra}
        for response in (client.post(url, as_json, format="json"), client.post(url, upload, format="multipart")):
            assert response.status_code < 500, (name, response.status_code, response.content[:200])
            body = response.json()
            assert "code" in body or response.status_code in (200, 201), (name, body)
            if response.status_code >= 400:
                assert body["code"] in {"invalid_image", "unsupported_image_type", "empty_image", "image_too_large"}, (
                    name,
                    body,
                )
