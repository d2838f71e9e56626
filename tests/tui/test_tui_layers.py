"""The layer rules the TUI relies on: only workbench.tui imports textual; it never imports AWS."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

TUI = Path(__file__).resolve().parents[2] / "workbench" / "tui"


def modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_core_is_importable_without_textual() -> None:
    loaded = modules_after("import workbench.service, workbench.worker, workbench.cli")
    assert not any(name == "textual" or name.startswith("textual.") for name in loaded)


def test_the_tui_does_not_load_boto3_or_moto() -> None:
    loaded = modules_after("import workbench.tui.app, workbench.tui.main_screen")
    assert {"boto3", "botocore", "moto"}.isdisjoint(loaded)


def test_no_tui_module_imports_aws_libraries() -> None:
    for path in TUI.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"boto3", "botocore", "moto"}, (path, name)
                assert not name.startswith(("workbench.aws", "workbench.store.")), (path, name)
