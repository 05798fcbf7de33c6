"""Every benchmark and script at least starts in the environment `make install` makes: its
`--help` answers (heavy imports such as torch only when a run needs them), and a helper the
others import imports."""

import subprocess
import sys

import pytest

from devtools.servers import ROOT

SCRIPTS = sorted([*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "scripts").glob("*.py")])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_script_starts(script):
    if 'if __name__ == "__main__":' in script.read_text():
        run = subprocess.run(
            [sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        # argparse's "usage:", or Django's list of commands (peer_app.py is a manage.py)
        assert run.returncode == 0 and ("usage:" in run.stdout.lower() or "subcommand" in run.stdout), run.stderr[
            -2000:
        ]
    else:  # a helper the others import by name
        run = subprocess.run(
            [sys.executable, "-c", f"import {script.stem}"], cwd=script.parent, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr[-2000:]


def test_the_check_catches_a_script_that_cannot_start(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text('from model_core.imaging.preprocess import ink_levels\nif __name__ == "__main__":\n    pass\n')
    run = subprocess.run([sys.executable, str(broken), "--help"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode != 0
