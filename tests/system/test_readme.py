"""The API examples of the README's tour and of docs/api.md, run as written against a live
server: the shell blocks with bash and curl, the Python blocks with this interpreter. Taken
from the pages themselves, so they cannot drift from them."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.servers import ROOT, api_server
from model_core import load_model

README = (ROOT / "README.md").read_text()
TOUR = README[
    README.index("## The API in four lines") : README.index("\n## ", README.index("## The API in four lines") + 5)
]
API_PAGE = (ROOT / "docs" / "api.md").read_text()
PAGES = {"README.md": TOUR, "docs/api.md": API_PAGE}
SHELL = {page: re.findall(r"```sh\n(.*?)```", text, re.S) for page, text in PAGES.items()}
PYTHON = [block for text in PAGES.values() for block in re.findall(r"```python\n(.*?)```", text, re.S)]
TOKEN = "the-test-servers-read-token"
TOKEN_FILE = "var/run/feedback-read-token"  # where the docs read make run's token from


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    token_file = tmp_path_factory.mktemp("run") / "feedback-read-token"
    token_file.write_text(TOKEN + "\n")
    with api_server({"FEEDBACK_READ_TOKEN": TOKEN, "API_LOG_LEVEL": "WARNING"}) as base:
        yield base, token_file


def as_run_here(script: str, server) -> str:
    """Point the example at the test server (and its token)."""
    base, token_file = server
    host = base.removeprefix("http://")
    script = script.replace("localhost:8000", host).replace("http://127.0.0.1:8000", base)
    return script.replace(".venv/bin/python", sys.executable).replace(TOKEN_FILE, str(token_file))


def test_every_curl_example_fails_loudly_on_an_error():
    lines = [line for blocks in SHELL.values() for block in blocks for line in block.split("\n")]
    curls = [line for line in lines if line.lstrip().startswith("curl ") or "| curl " in line]
    assert curls and all("--fail-with-body" in line for line in curls), curls


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("page", sorted(SHELL))
def test_the_shell_examples_run_as_written(server, page, tmp_path):
    assert SHELL[page]
    where = str(tmp_path)
    outputs = []
    for script in SHELL[page]:
        for line in re.split(r"(?<!\\)\n", script.strip()):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            run = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", as_run_here(line, server)],
                cwd=where,
                env={**os.environ, "FEEDBACK_READ_TOKEN": TOKEN},  # each line runs alone: the export's effect
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert run.returncode == 0, (line, run.stdout[-2000:], run.stderr[-2000:])
            outputs.append((line, run.stdout))
    predictions = [(line, json.loads(out)) for line, out in outputs if "predict-digit" in line]
    digits = [p.get("prediction") or [r["prediction"] for r in p["results"]] for line, p in predictions
              if "characters" not in line]  # fmt: skip
    characters = [p for line, p in predictions if "characters" in line]
    assert digits and all(answer in ("7", ["7", "7"]) for answer in digits), digits
    for answer in characters:  # a letter sample or the 7, read by the 47-class model
        assert len(answer["labels"]) == 47 and answer["prediction"] == answer["top_k"][0]["label"]
        assert len(answer["top_k"]) == 5
    if page == "docs/api.md":
        assert len(digits) == 4 and len(characters) == 1
        assert Path(where, "feedback.csv").read_text().startswith("label,pixel0")


def test_the_python_examples_run_as_written(server, tmp_path):
    where = str(tmp_path)
    shutil.copy(ROOT / "tests" / "fixtures" / "digit7.png", Path(where, "digit.png"))
    for block in PYTHON:
        run = subprocess.run(
            [sys.executable, "-c", as_run_here(block, server)], cwd=where, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.stdout.split()[0] == "7" and run.stdout.split()[-1] == "True", run.stdout


def test_the_sample_response_is_what_the_api_answers_now(server):
    block = API_PAGE[API_PAGE.index("<!-- sample-response -->") :]
    sample = json.loads(re.search(r"```json\n(.*?)```", block, re.S).group(1))
    from backend.predictions.apis import PredictDigitApi

    assert set(sample) == set(PredictDigitApi.OutputSerializer().fields)
    assert sample["model"]["version"] == load_model().version  # written with the model that ships
    assert sample["prediction"] == "7" and sample["is_digit"] is True


@pytest.mark.parametrize(
    "png",
    [
        "docs/screenshot.png",
        "docs/screenshot-phone-letters.png",
        "docs/screenshot-numbers-words.png",
        "docs/screenshot-numbers-amount.png",
    ],
)
def test_the_screenshots_show_the_models_that_ship(png):
    from PIL import Image

    from model_core.saved import read_card

    name, version = Image.open(ROOT / png).text["model"].split()  # written by make screenshot
    assert version == read_card(name)["version"], f"{png} shows {name} {version}: run make screenshot"
    assert png in README or png.removeprefix("docs/") in README
