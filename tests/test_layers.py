"""The layer rules of DESIGN.md, checked: the core never loads the UI or boto3."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "workbench"


def _loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_imports_no_textual() -> None:
    loaded = _loaded_after(
        "import workbench.service, workbench.worker, workbench.store, workbench.audit, "
        "workbench.policy, workbench.aws, workbench.domain"
    )
    assert "workbench.service" in loaded
    assert "textual" not in loaded


def test_importing_the_core_does_not_pay_for_boto3() -> None:
    loaded = _loaded_after("import workbench.service, workbench.worker")
    assert not {"boto3", "botocore", "moto"} & loaded


def test_help_loads_neither_boto3_nor_textual() -> None:
    loaded = _loaded_after(
        "from workbench.cli.app import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass"
    )
    assert "click" in loaded
    assert not {"boto3", "botocore", "moto", "textual"} & loaded


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_aws_and_demo_import_boto3_botocore_or_moto() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        layer = path.relative_to(ROOT).parts[0]
        if layer in {"aws", "demo"}:
            continue
        bad = _imports(path) & {"boto3", "botocore", "moto"}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


def test_only_tui_imports_textual() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if path.relative_to(ROOT).parts[0] != "tui" and "textual" in _imports(path)
    ]
    assert offenders == []
