"""The package map's one rule, checked on the source: imports point one way. `nn` imports
nothing of model_core; `imaging` at most `nn`; `data` at most `imaging` and `nn`; the model
(`model`, `card`, `io`) at most those; `training` at most the model and below; only the
CLI and the batch predictor sit above. Nothing in model_core imports Django or backend."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "model_core"
# Each layer may import its own and lower layers only.
LAYERS = [
    {"nn"},
    {"imaging"},
    {"data"},
    {"model", "card", "io", "__init__"},
    {"training"},
    {"cli", "batch", "__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def part_of(module: Path) -> str:
    rel = module.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported(module: Path, source: str | None = None) -> list[str]:
    """Every module it imports, as absolute dotted names."""
    tree = ast.parse(module.read_text() if source is None else source)
    rel = module.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1])
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names += [target] if node.module else [f"{target}.{alias.name}" for alias in node.names]
    return names


def violations(module: Path, source: str | None = None) -> list[str]:
    mine = RANK[part_of(module)]
    found = []
    for name in imported(module, source):
        if name.startswith(("django", "rest_framework", "backend")):
            found.append(f"{module.relative_to(ROOT)} imports {name}: model_core never imports the server")
        elif name.startswith("model_core."):
            first = name.split(".")[1]
            if RANK[first if first in RANK else "__init__"] > mine:
                found.append(f"{module.relative_to(ROOT)} imports {name}, a layer above it")
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(module):
    assert not violations(module)


def test_the_rule_catches_an_upward_import_and_the_server():
    rogue = PACKAGE / "nn" / "rogue.py"
    assert violations(rogue, "from ..training.train import train\n")
    assert violations(rogue, "from ..imaging import preprocess\n")
    assert violations(PACKAGE / "imaging" / "rogue.py", "from django.conf import settings\n")
    assert not violations(PACKAGE / "training" / "rogue.py", "from ..nn.layers import Dense\nfrom .. import card\n")
