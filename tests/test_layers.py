"""The layer rules that import-linter cannot see: what an import loads, who imports the SDKs.

import-linter (`make lint`) checks which of our packages import which; these
check the third-party side: the core never loads the UI, the TUI and `--help`
never pay for boto3, only `workbench.aws` and the demo touch the AWS SDK, only
`workbench.tui` touches Textual, and no module grows past ~400 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "workbench"
AWS_LIBRARIES = {"boto3", "botocore", "moto"}
MAX_MODULE_LINES = 400


def _loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_core_loads_no_textual() -> None:
    loaded = _loaded_after(
        "import workbench.service, workbench.worker, workbench.store, workbench.audit, "
        "workbench.policy, workbench.aws, workbench.domain, workbench.cli"
    )
    assert "workbench.service" in loaded
    assert not any(name == "textual" or name.startswith("textual.") for name in loaded)


def test_importing_the_facade_or_the_tui_does_not_pay_for_boto3() -> None:
    assert not AWS_LIBRARIES & _loaded_after("import workbench.service, workbench.worker")
    assert not AWS_LIBRARIES & _loaded_after("import workbench.tui.app, workbench.tui.main_screen")
    assert not AWS_LIBRARIES & _loaded_after("import workbench.audit")


def test_help_loads_neither_boto3_nor_textual() -> None:
    loaded = _loaded_after(
        "from workbench.cli.app import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass"
    )
    assert "click" in loaded
    assert not (AWS_LIBRARIES | {"textual"}) & loaded


def test_opening_a_store_at_its_schema_loads_neither_sqlite_utils_nor_psycopg(
    tmp_path: Path,
) -> None:
    """sqlite-utils runs the migrations only, psycopg serves team stores only: a command on
    a SQLite store at its version pays for neither (~30 ms and ~130 ms of every start)."""
    from tests.conftest import FAST_KDF, PASSPHRASE

    home = repr(str(tmp_path))
    created = _loaded_after(
        "from pathlib import Path\n"
        "from workbench.service import create_workbench\n"
        "from workbench.store import KdfParams\n"
        f"kdf = KdfParams.fresh(**{FAST_KDF!r})\n"
        f"create_workbench(Path({home}), {PASSPHRASE!r}, kdf=kdf)"
    )
    assert "sqlite_utils" in created  # the migrations ran
    loaded = _loaded_after(
        "from pathlib import Path\n"
        "from workbench.service import open_workbench, parse_location\n"
        f"open_workbench(parse_location(None, Path({home})), {PASSPHRASE!r}).leases.list()"
    )
    assert "workbench.store.sqlite" in loaded
    assert not {"sqlite_utils", "psycopg"} & loaded


def test_only_aws_and_demo_import_the_aws_sdk_and_only_tui_imports_textual() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        layer = path.relative_to(ROOT).parts[0]
        imported = _imports(path)
        if layer not in {"aws", "demo"} and imported & AWS_LIBRARIES:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(imported & AWS_LIBRARIES)}")
        if layer != "tui" and "textual" in imported:
            offenders.append(f"{path.relative_to(ROOT)}: textual")
    assert offenders == []


def test_no_module_runs_past_about_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in ROOT.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_only_the_postgresql_backend_imports_psycopg_and_help_never_loads_it() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if {"psycopg", "psycopg_pool"} & _imports(path)
        and not (path.parent.name == "store" and path.name.startswith("pg"))
    ]
    assert offenders == []
    loaded = _loaded_after(
        "from workbench.cli.app import cli\n"
        "import workbench.service, workbench.store, workbench.store.location\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass"
    )
    assert not any(name.split(".")[0] in {"psycopg", "psycopg_pool"} for name in loaded)
