"""The domain layer stays pure: stdlib imports only, and every module says what it is for."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import alliance_desktop.domain

DOMAIN_DIR = Path(alliance_desktop.domain.__file__).parent


def test_fresh_interpreter_loads_no_third_party_modules() -> None:
    code = (
        "import json, sys\n"
        "import alliance_desktop.domain\n"
        "import alliance_desktop.domain.alerts, alliance_desktop.domain.change\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(out.stdout)
    assert "PySide6" not in loaded
    assert "sqlalchemy" not in loaded
    tops = {name.split(".")[0] for name in loaded}
    foreign = sorted(
        t for t in tops if t not in sys.stdlib_module_names and t not in {"alliance_desktop"}
    )
    assert not [t for t in foreign if not t.startswith("_")], foreign
    ours = {name for name in loaded if name.startswith("alliance_desktop.")}
    assert all(name.startswith("alliance_desktop.domain") for name in ours), ours


def test_source_imports_only_stdlib_and_domain() -> None:
    for path in sorted(DOMAIN_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name.startswith(
                    "alliance_desktop.domain"
                ), f"{path.name} imports {name}"


def test_every_module_has_a_one_line_purpose() -> None:
    for path in sorted(DOMAIN_DIR.glob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, f"{path.name} has no module docstring"
        assert doc.splitlines()[0].strip().endswith("."), path.name
