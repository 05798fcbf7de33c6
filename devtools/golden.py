"""Records the golden answers of tests/test_golden.py: one request for every input form
`POST /api/predict-digit/` takes (a canvas data URL, bare base64, dark ink on white, a colour
canvas with transparency, a GIF, a phone photo, pixels as rows, flat and large, a batch,
a multipart upload under either field name, another model, a letter for the characters
model, a letter that is not a digit) and the answer the API gives it, `elapsed_ms` aside.

Re-record only when an answer is meant to change (a new model ships, the preprocessing is
meant to see differently), never to make a speed change pass:

    python -m devtools.golden   # rewrites tests/fixtures/golden/
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "golden"
FIXTURES = ROOT / "tests" / "fixtures"


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def mnist_canvas(digit: np.ndarray, side: int = 280) -> Image.Image:
    return Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR)


def cases() -> tuple[list[dict], dict[str, bytes]]:
    """Each case's request (JSON body, or form fields and a file) and the files it names."""
    from model_core.data.datasets import load_mnist
    from model_core.data.synth import phone_photo

    test = load_mnist("test")
    seven = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(seven).line([(80, 70), (200, 70), (130, 230)], fill=255, width=20, joint="curve")
    clear = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(clear).ellipse((90, 60, 190, 220), outline=(20, 40, 200, 255), width=18)  # a blue 0
    dark = Image.fromarray(255 - np.asarray(mnist_canvas(test.images[1])))  # a 2, dark on white
    photo, _ = phone_photo(test.images[3], np.random.default_rng(27), long_side=640)
    three = test.images[18]
    files = {
        "digit7.png": (FIXTURES / "digit7.png").read_bytes(),
        "photo.jpg": photo,
    }
    letters = {name: (FIXTURES / "handwritten" / f"{name}.png").read_bytes() for name in ("letter-A", "letter-X")}
    json_cases = [
        ("canvas data URL", {"image": data_url(encoded(seven, "PNG"))}),
        (
            "bare base64, mlp, top 5",
            {"image": base64.b64encode(encoded(seven, "PNG")).decode(), "model": "mlp", "top_k": 5},
        ),
        ("dark ink on white", {"image": data_url(encoded(dark, "PNG"))}),
        ("colour canvas with transparency", {"image": data_url(encoded(clear, "PNG")), "top_k": 1}),
        ("GIF", {"image": data_url(encoded(mnist_canvas(test.images[4], 140), "GIF"), "image/gif")}),
        ("phone photo, JPEG", {"image": data_url(photo, "image/jpeg"), "model": "ensemble"}),
        ("pixels 28×28, 0-255", {"pixels": test.images[0].astype(int).tolist()}),
        ("pixels flat, 0-1", {"pixels": [round(v / 255, 4) for v in test.images[5].ravel().tolist()]}),
        ("pixels 100×100", {"pixels": np.asarray(mnist_canvas(three, 100)).astype(int).tolist()}),
        (
            "batch",
            {
                "images": [data_url(encoded(seven, "PNG")), test.images[7].astype(int).tolist()],
                "model": "ensemble",
                "top_k": 2,
            },
        ),
        ("a letter, characters model", {"image": data_url(letters["letter-A"]), "model": "characters", "top_k": 5}),
        ("a letter, not a digit", {"image": data_url(letters["letter-X"])}),
    ]
    out = [{"name": name, "json": body} for name, body in json_cases]
    out += [
        {"name": "multipart image", "form": {}, "field": "image", "file": "digit7.png"},
        {
            "name": "multipart file alias, photo, top_k as text",
            "form": {"top_k": "2"},
            "field": "file",
            "file": "photo.jpg",
        },
    ]
    return out, files


def post(client, case: dict, files: dict[str, bytes]):
    """The case's request through the in-process API: the response."""
    if "json" in case:
        return client.post("/api/predict-digit/", case["json"], format="json")
    upload = io.BytesIO(files[case["file"]])
    upload.name = case["file"]
    return client.post("/api/predict-digit/", {**case["form"], case["field"]: upload}, format="multipart")


def without_time(answer: dict) -> dict:
    """An answer as recorded: everything but elapsed_ms, in a batch too."""
    if "results" in answer:
        return {"results": [without_time(a) for a in answer["results"]]}
    return {k: v for k, v in answer.items() if k != "elapsed_ms"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    import django

    django.setup()
    from rest_framework.test import APIClient

    client = APIClient(HTTP_HOST="127.0.0.1")
    requests, files = cases()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    for case in requests:
        response = post(client, case, files)
        assert response.status_code == 200, (case["name"], response.content[:300])
        case["status"] = response.status_code
        case["answer"] = without_time(response.json())
    (OUT / "cases.json").write_text(json.dumps(requests, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(requests)} golden answers written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
