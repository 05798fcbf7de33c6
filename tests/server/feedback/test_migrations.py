"""A database made before the server was cut into domains (every endpoint in one app, "api")
is served as it is by the new layout: nothing to apply for the move (only the later additive
migrations: text corrections, their lines), every correction readable."""

import os
import shutil
import subprocess
import sys

from devtools.servers import ROOT

BEFORE = ROOT / "tests/fixtures/db-before-domains.sqlite3"  # made by commit 02949c2's code, one correction
READ = """
from backend.feedback.models import Feedback
entry = Feedback.objects.get()
print(entry.true_label, entry.predicted_label, entry.model_name, len(entry.processed))
"""


def test_a_database_made_by_the_one_app_layout_migrates_cleanly(tmp_path):
    db = tmp_path / "db.sqlite3"
    shutil.copy(BEFORE, db)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    plan = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--plan"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    planned = [line for line in plan.stdout.splitlines() if line and not line.startswith(" ")]
    assert plan.returncode == 0 and planned == [
        "Planned operations:", "api.0004_feedback_text", "api.0005_feedback_lines"
    ], plan.stdout  # fmt: skip
    migrated = subprocess.run([sys.executable, "manage.py", "migrate"], cwd=ROOT, env=env, capture_output=True)
    assert migrated.returncode == 0, migrated.stderr
    read = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.split()[-4:] == ["7", "1", "cnn", "784"]
