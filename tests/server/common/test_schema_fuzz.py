"""Schemathesis over the whole OpenAPI schema against a live gunicorn: no 5xx, no response
that breaks its documented schema, status codes and content types as documented."""

import os
import shutil
import subprocess
import sys
import tempfile

from devtools.servers import ROOT, api_server

TOKEN = "fuzz-token"


def test_the_api_keeps_every_promise_its_schema_makes():
    env = {
        "FEEDBACK_READ_TOKEN": TOKEN,
        "API_THROTTLE_PREDICT": "1000000/min",
        "API_THROTTLE_SAMPLES": "1000000/min",
        "API_THROTTLE_FEEDBACK": "1000000/min",
        "API_LOG_LEVEL": "WARNING",
        "FEEDBACK_CLIENT_BYTES_PER_DAY": str(10**9),
    }
    st = shutil.which("st", path=os.path.dirname(sys.executable)) or "st"
    with api_server(env, workers=2) as base:
        # Every operation with every check; predict-text apart, without the check that a body
        # the fuzzer made schema-invalid is refused: it answers a blank image 200 with is_text
        # false (so a batch of form fields with an empty one is answered), and the fuzzer's
        # mutations of its multipart file parts leave one blank image to read. Sending a
        # correction apart, without the check that a schema-valid body is accepted: its
        # coverage phase takes a multipart body with both true_label and true_text for valid,
        # which the schema's oneOf forbids (and the API refuses, 400).
        runs = [
            (["--exclude-path", "/api/predict-text/", "--exclude-operation-id", "feedback_create"],
             os.environ.get("FUZZ_SECONDS", "90")),
            (["--include-path", "/api/predict-text/", "--exclude-checks", "negative_data_rejection"], "30"),
            (["--include-operation-id", "feedback_create", "--exclude-checks", "positive_data_acceptance"], "30"),
        ]  # fmt: skip
        for selection, seconds in runs:
            result = subprocess.run(
                [st, "--config-file", str(ROOT / "schemathesis.toml"), "run", f"{base}/api/schema/?format=json"]
                + ["--url", base, "--checks", "all", *selection]
                + ["--max-examples", os.environ.get("FUZZ_EXAMPLES", "8"), "--max-time", seconds, "--seed", "1"]
                + ["--header", f"Authorization: Bearer {TOKEN}", "--no-color"],
                capture_output=True,
                text=True,
                timeout=600,
                cwd=tempfile.mkdtemp(),  # no crash cache from an earlier run: every run starts afresh
            )
            output = result.stdout + result.stderr
            failures = output[output.find("FAILURES") : output.find("SUMMARY")]
            assert result.returncode == 0, failures[:12000] + output[-3000:]
            assert "Operations:" in output  # it really ran over the operations
