"""The package map's rules, checked on the source: imports point one way. `version` and
`paths` import nothing of model_core; `nn` at most those; `imaging` at most `nn`; `data` at
most `imaging` and `nn`; the model (`model`, `card`, `saved`, the server's door `serving`,
the package's `__init__`) at most those; `training` at most the model and below; only the CLI
and the predictor over files sit above, and only the CLI parses arguments. No import cycle,
package `__init__` modules included, and no module takes another's private names. Nothing in
model_core imports Django or backend; the backend enters model_core by one door."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "model_core"
# Each layer may import its own and lower layers only.
LAYERS = [
    {"version", "paths"},
    {"nn"},
    {"imaging"},
    {"data"},
    {"card"},
    {"model"},
    {"saved"},
    {"reading"},
    {"training"},
    {"serving"},
    {"cli", "predict_files", "__main__", "__init__"},
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


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """model_core's modules (package `__init__`s as their package) → the modules they import
    explicitly; a name imported from a package's `__init__` (`from . import __version__`) is
    an edge to that `__init__`."""
    names = {module_name(path) for path in MODULES}
    graph = {}
    for path in MODULES:
        edges = set()
        for target in imported(path):
            while target and target not in names and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in names and target != module_name(path):
                edges.add(target)
        graph[module_name(path)] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_import_cycles_package_inits_included():
    assert not cycles(import_graph())


def test_the_cycle_check_sees_a_cycle_through_an_init():
    graph = {"model_core": {"model_core.io"}, "model_core.io": {"model_core.card"}, "model_core.card": {"model_core"}}
    assert cycles(graph) == [["model_core", "model_core.io", "model_core.card", "model_core"]]


DOOR = {"model_core.serving", "model_core.paths"}
# 15, read_images became read_digits and read_texts (one shape each), and exported_image (an
# export's bounded copy of a stored image); Constraint, what predict-text's allowed, template and
# words say a field may hold
MAX_DOOR_NAMES = 18


def backend_imports() -> dict[str, set[str]]:
    """Every model_core module the backend imports from, with the names it takes."""
    taken: dict[str, set[str]] = {}
    for path in sorted((ROOT / "backend").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("model_core"):
                for alias in node.names:
                    module = node.module
                    if module == "model_core" and alias.name in ("paths", "serving"):
                        module, name = f"model_core.{alias.name}", alias.name
                    else:
                        name = alias.name
                    taken.setdefault(module, set()).add(name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("model_core"):
                        taken.setdefault(alias.name, set()).add(alias.name)
    return taken


def test_the_backend_enters_model_core_by_one_door():
    taken = backend_imports()
    assert set(taken) <= DOOR, f"the backend imports model_core beyond its door: {sorted(set(taken) - DOOR)}"
    names = set().union(*taken.values())
    assert len(names) <= MAX_DOOR_NAMES, sorted(names)
    from model_core import serving

    assert taken.get("model_core.serving", set()) <= set(serving.__all__)


def test_the_answer_is_declared_once_and_documented_by_the_same_fields():
    import django

    from model_core.serving import ANSWER_FIELDS

    django.setup()
    from backend.predictions.apis import PredictDigitApi

    assert tuple(PredictDigitApi.OutputSerializer().fields) == ANSWER_FIELDS


@pytest.mark.parametrize("module", [m for m in MODULES if part_of(m) not in ("cli", "__main__")], ids=str)
def test_only_the_cli_parses_arguments(module):
    assert "argparse" not in imported(module), f"{module.relative_to(ROOT)}: commands belong in model_core/cli/"


def test_no_module_takes_another_modules_private_names():
    for module in MODULES:
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("model_core")):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                assert not private, f"{module.relative_to(ROOT)} imports {private} from {node.module}"


def test_one_default_model_for_the_library_the_cli_and_the_server():
    import os
    import subprocess
    import sys

    probe = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'backend.config.settings'); "
        "django.setup(); from django.conf import settings; from model_core import load_model; "
        "print(settings.DEFAULT_MODEL, load_model().name)"
    )
    env = {**os.environ, "DEFAULT_MODEL": "mlp"}
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.split() == ["mlp", "mlp"], run.stderr[-1000:]


def loaded_by(statement: str) -> set[str]:
    """The model_core modules a fresh interpreter has loaded after `statement`."""
    import subprocess
    import sys

    probe = f"import sys; {statement}; print(' '.join(m for m in sys.modules if m.startswith('model_core')))"
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(run.stdout.split())


@pytest.mark.parametrize("module", ["model_core.nn", "model_core.nn.layers", "model_core.nn.ctc"])
def test_the_network_library_loads_nothing_of_model_core_outside_it(module):
    loaded = loaded_by(f"import {module}")
    assert module in loaded and {m for m in loaded if m != "model_core" and not m.startswith("model_core.nn")} == set()


def test_loading_a_model_does_not_load_the_reader():
    loaded = loaded_by("from model_core import load_model; load_model('cnn')")
    assert "model_core.saved" in loaded and not any(m.startswith("model_core.reading") for m in loaded), loaded


def test_the_load_count_would_catch_an_eager_import():
    assert "model_core.reading" in loaded_by("import model_core.serving")  # the door does read lines
