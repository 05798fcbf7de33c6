"""Schemathesis over the whole OpenAPI schema against a live gunicorn: no 5xx, no response
that breaks its documented schema, status codes and content types as documented."""

import os
import shutil
import subprocess
import sys

from .servers import api_server

TOKEN = "fuzz-token"


def test_the_api_keeps_every_promise_its_schema_makes():
    env = {
        "FEEDBACK_READ_TOKEN": TOKEN,
        "API_THROTTLE_PREDICT": "1000000/min",
        "API_THROTTLE_SAMPLES": "1000000/min",
        "API_THROTTLE_FEEDBACK": "1000000/min",
        "API_LOG_LEVEL": "WARNING",
    }
    st = shutil.which("st", path=os.path.dirname(sys.executable)) or "st"
    with api_server(env, workers=2) as base:
        result = subprocess.run(
            [
                st,
                "run",
                f"{base}/api/schema/?format=json",
                "--url",
                base,
                "--checks",
                "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
                "--max-examples",
                os.environ.get("FUZZ_EXAMPLES", "8"),
                "--max-time",
                os.environ.get("FUZZ_SECONDS", "90"),
                "--seed",
                "1",
                "--header",
                f"Authorization: Bearer {TOKEN}",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "Operations:" in output  # it really ran over the operations
