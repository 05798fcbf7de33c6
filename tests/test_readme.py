"""The README's API examples, run as written against a live server: the shell blocks with
bash and curl, the Python blocks with this interpreter. Taken from the README itself, so
they cannot drift from it."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from devtools.servers import ROOT, api_server
from model_core import load_model

README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Using the API") : README.index("\n## ", README.index("## Using the API") + 5)]
SHELL = re.findall(r"```sh\n(.*?)```", SECTION, re.S)
PYTHON = re.findall(r"```python\n(.*?)```", SECTION, re.S)
TOKEN = re.search(r"export FEEDBACK_READ_TOKEN=(\S+)", SECTION).group(1)


@pytest.fixture(scope="module")
def server():
    with api_server({"FEEDBACK_READ_TOKEN": TOKEN, "API_LOG_LEVEL": "WARNING"}) as base:
        yield base


def as_run_here(script: str, base: str) -> str:
    """Point the example at the test server, and make curl fail on an HTTP error."""
    host = base.removeprefix("http://")
    script = script.replace("localhost:8000", host).replace("http://127.0.0.1:8000", base)
    return script.replace("curl -s ", "curl -s --fail-with-body ").replace(".venv/bin/python", sys.executable)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_shell_examples_run_as_written(server):
    assert len(SHELL) >= 2
    where = tempfile.mkdtemp(prefix="digits-readme-")
    outputs = []
    for script in SHELL:
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
    predictions = [json.loads(out) for line, out in outputs if "predict-digit" in line]
    answers = [p.get("prediction") or [r["prediction"] for r in p["results"]] for p in predictions]
    assert answers == ["7", "7", "7", ["7", "7"]]
    assert Path(where, "feedback.csv").read_text().startswith("label,pixel0")


def test_the_python_examples_run_as_written(server):
    where = tempfile.mkdtemp(prefix="digits-readme-")
    shutil.copy(ROOT / "tests" / "fixtures" / "digit7.png", Path(where, "digit.png"))
    for block in PYTHON:
        run = subprocess.run(
            [sys.executable, "-c", as_run_here(block, server)], cwd=where, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.stdout.split()[0] == "7" and run.stdout.split()[-1] == "True", run.stdout


def test_the_sample_response_is_what_the_api_answers_now(server):
    block = README[README.index("<!-- sample-response -->") :]
    sample = json.loads(re.search(r"```json\n(.*?)```", block, re.S).group(1))
    from backend.api.apis import PredictDigitApi

    assert set(sample) == set(PredictDigitApi.OutputSerializer().fields)
    assert sample["model"]["version"] == load_model().version  # written with the model that ships
    assert sample["prediction"] == "7" and sample["is_digit"] is True
