"""workbench.audit sits above store and domain only: no UI, no AWS SDK."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import workbench.audit

AUDIT_DIR = Path(workbench.audit.__file__).parent


def test_importing_the_audit_package_loads_no_ui_or_aws() -> None:
    code = (
        "import sys, workbench.audit; "
        "print(sorted(m for m in ('textual', 'boto3', 'botocore', 'moto') "
        "if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_audit_modules_import_only_store_and_domain_of_ours() -> None:
    for module in AUDIT_DIR.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workbench."):
                layer = (node.module or "").split(".")[1]
                assert layer in {"audit", "store", "domain"}, f"{module.name} imports {node.module}"
        assert len(module.read_text().splitlines()) < 400, f"{module.name} is too long"
