"""A scripting user's route: generate a Python client from the API's OpenAPI schema with
openapi-python-client, and call every endpoint through it against a live server."""

import importlib
import json
import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

from devtools.images import data_url, seven_png
from devtools.servers import api_server

GENERATOR = shutil.which("openapi-python-client", path=os.path.dirname(sys.executable))
TOKEN = "client-token"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    if GENERATOR is None:
        pytest.skip("openapi-python-client is not installed (pip install -e '.[dev]')")
    env = {"FEEDBACK_READ_TOKEN": TOKEN, "API_LOG_LEVEL": "WARNING"}
    with api_server(env) as base:
        where = tmp_path_factory.mktemp("digits-client")
        with urllib.request.urlopen(f"{base}/api/schema/?format=json") as response:
            (where / "schema.json").write_bytes(response.read())
        result = subprocess.run(
            [GENERATOR, "generate", "--path", str(where / "schema.json"), "--meta", "none"]
            + ["--output-path", str(where / "digits_client")],
            cwd=where,
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        import_unset_where_used(where / "digits_client")
        sys.path.insert(0, str(where))
        try:
            yield base, importlib.import_module("digits_client")
        finally:
            sys.path.remove(str(where))


def import_unset_where_used(package):
    """openapi-python-client 0.29 annotates a required body that may come as JSON or as a
    form with `| Unset` and forgets to import it (its issue #1451, fix pending as #1478).
    The schema states the truth (the body is required); the README gives users this same
    one-line repair. Returns the files it repaired."""
    repaired = []
    for module in (package / "api").rglob("*.py"):
        text = module.read_text()
        if "| Unset" in text and "import UNSET, Response\n" in text:
            module.write_text(text.replace("import UNSET, Response\n", "import UNSET, Response, Unset\n"))
            repaired.append(module.name)
    return repaired


def test_every_endpoint_through_the_generated_client(generated):
    base, package = generated
    api = importlib.import_module("digits_client.api")
    modules = {
        name: importlib.import_module(f"digits_client.api.{group}.{name}")
        for group, names in {
            "predict_digit": ["predict_digit"],
            "display_images": ["display_images"],
            "model_info": ["model_info"],
            "health": ["health"],
            "ready": ["readiness"],
            "feedback": ["feedback_create", "feedback_list", "feedback_export", "feedback_review", "feedback_delete"],
        }.items()
        for name in names
    }
    assert api  # every operation of the schema has its module, and each one imports
    models = importlib.import_module("digits_client.models")
    client = package.Client(base_url=base, raise_on_unexpected_status=True)
    authed = package.AuthenticatedClient(base_url=base, token=TOKEN, raise_on_unexpected_status=True)

    prediction = modules["predict_digit"].sync(
        client=client, body=models.PredictJSONRequest(image=data_url(seven_png()))
    )
    assert prediction.prediction == "7" and prediction.is_digit is True and len(prediction.probabilities) == 10
    samples = modules["display_images"].sync(client=client, count=3, digit=4, seed=1)
    assert [s.label for s in samples.images] == ["4", "4", "4"]
    info = modules["model_info"].sync(client=client, model=models.ModelInfoModel("mlp"))
    assert info.name == "mlp" and info.not_a_digit.threshold >= 0
    assert modules["health"].sync(client=client).status == "ok"
    assert modules["readiness"].sync(client=client).ready is True

    body = models.FeedbackJSONRequest(image=data_url(seven_png()), true_label="7")
    entry = modules["feedback_create"].sync(client=client, body=body)
    assert entry.true_label == "7" and entry.reviewed is False
    page = modules["feedback_list"].sync(client=authed)
    assert entry.id in [row.id for row in page.results]
    reviewed = modules["feedback_review"].sync(
        entry.id, client=authed, body=models.FeedbackReviewRequest(reviewed=True)
    )
    assert reviewed.reviewed is True
    export = modules["feedback_export"].sync_detailed(client=authed)
    assert export.status_code == 200 and export.content.decode().startswith("label,pixel0")
    assert modules["feedback_delete"].sync_detailed(entry.id, client=authed).status_code == 204
    with urllib.request.urlopen(
        urllib.request.Request(f"{base}/api/feedback/", headers={"Authorization": f"Bearer {TOKEN}"})
    ) as r:
        assert entry.id not in [row["id"] for row in json.loads(r.read())["results"]]
