"""The one dependency rule of ARCHITECTURE.md, checked on the source and in a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "alliance_desktop"

# Which of our layers each layer may import (besides itself and the package root).
ALLOWED = {
    "domain": set(),
    "storage": {"domain"},
    "services": {"domain", "storage"},
    "reports": {"domain", "services", "paths"},  # paths: the fonts in alliance_desktop/resources/
    # documents: gather (services) → lay out (reports) → write, for the window and the CLI
    "documents": {"services", "reports"},
    "ui": {"services", "domain", "reports", "documents", "paths"},  # paths: the demo's place
    "cli": {
        "services",
        "storage",
        "reports",
        "documents",
        "domain",
        "app",
        "diagnostics",
        "paths",
        "selftest",
    },
    "app": {"ui", "services", "storage", "domain", "diagnostics", "paths"},
    # selftest: wires the layers end to end like app.py, so a built bundle can prove it has them
    "selftest": {"app", "ui", "documents", "services", "storage", "domain", "paths"},
    "diagnostics": {"paths"},
    "paths": set(),
    "__main__": {"cli"},
    "__init__": set(),
}
QT_ALLOWED = {"ui", "app", "selftest"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports (layer check reads them)"
            if node.module == "alliance_desktop":
                found.update(f"alliance_desktop.{alias.name}" for alias in node.names)
            elif node.module:
                found.add(node.module)
    return found


def _layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layer_imports(path: Path) -> None:
    layer = _layer(path)
    for module in _imports(path):
        root, _, rest = module.partition(".")
        if root in {"PySide6", "shiboken6"}:
            assert layer in QT_ALLOWED, f"{path.name} imports {module}"
        if root != "alliance_desktop" or not rest:
            continue
        target = rest.split(".")[0]
        if target in {layer, "__init__", "__version__"} or target.isupper():
            continue  # own layer; package constants such as APP_NAME
        assert layer in ALLOWED, f"{path.name}: add its layer to ALLOWED"
        assert target in ALLOWED[layer], f"{layer} must not import {module} ({path.name})"


def test_domain_uses_only_the_standard_library() -> None:
    allowed_roots = set(sys.stdlib_module_names) | {"alliance_desktop", "__future__"}
    for path in (PACKAGE / "domain").rglob("*.py"):
        for module in _imports(path):
            assert module.split(".")[0] in allowed_roots, f"{path.name} imports {module}"


def test_the_window_starts_without_reportlab_or_qt_pdf() -> None:
    """Reports and printing load on first use: start-up stays lean (ARCHITECTURE.md)."""
    code = (
        "import sys\n"
        "import alliance_desktop.app, alliance_desktop.ui.main_window\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'reportlab'))\n"
        "heavy += [m for m in sys.modules if m in ('PySide6.QtPdf', 'PySide6.QtPrintSupport')]\n"
        "assert not heavy, heavy\n"
    )
    assert_passes_in_a_fresh_interpreter(code)


def test_core_layers_do_not_load_qt_in_a_fresh_interpreter() -> None:
    code = (
        "import sys\n"
        "import alliance_desktop.cli, alliance_desktop.domain, alliance_desktop.services.demo\n"
        "import alliance_desktop.services.transfer, alliance_desktop.storage.repository\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "assert not bad, bad\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'reportlab'))\n"
        "assert not heavy, heavy\n"
    )
    assert_passes_in_a_fresh_interpreter(code)


def test_parsing_the_command_line_loads_no_database_code() -> None:
    """`--help`, `--version` and every command's argument check answer before SQLAlchemy,
    the ORM or the services load (issue 18: they cost 0.25 s of every command)."""
    code = (
        "import sys\n"
        "from alliance_desktop import cli\n"
        "cli.build_parser().parse_args(['--db', 'x.db', 'demo', '--clients', '5'])\n"
        "roots = ('sqlalchemy', 'sqlcipher3', 'argon2', 'cryptography')\n"
        "ours = ('alliance_desktop.storage', 'alliance_desktop.services.demo',\n"
        "        'alliance_desktop.domain.instruments')\n"
        "heavy = sorted(m for m in sys.modules\n"
        "               if m.split('.')[0] in roots or m.startswith(ours))\n"
        "assert not heavy, heavy\n"
    )
    assert_passes_in_a_fresh_interpreter(code)


def test_session_add_takes_its_questionnaire_flags_when_it_is_parsed() -> None:
    """The registry's flags (--srs, --phq9, …) are added to `session add` only when that
    subcommand is parsed (the built-in definitions cost more than all of `--help`)."""
    code = (
        "import sys\n"
        "from alliance_desktop import cli\n"
        "args = cli.build_parser().parse_args(\n"
        "    ['session', 'add', 'C-1', '--date', '2026-11-30T10:00', '--srs', '9,9,8,7'])\n"
        "assert args.srs == ['9', '9', '8', '7'], args.srs\n"
        "assert args.phq9 is None\n"
        "assert 'alliance_desktop.domain.instruments' in sys.modules\n"
    )
    assert_passes_in_a_fresh_interpreter(code)


def assert_passes_in_a_fresh_interpreter(code: str) -> None:
    """Run ``code`` (which asserts) in a new Python process: what a module imports shows
    only in an interpreter that has imported nothing else."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
