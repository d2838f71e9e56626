"""The engine facade: the only API the CLI, the TUI and the demo call.

`Workbench` (opened with `open_workbench` / `create_workbench`) is the door;
the other names are the values it hands out and the checks the faces run on
what a user typed. They load on first use, so `workbench --help` and the
TUI's first frame stay cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.domain.lazy import lazy_getattr

if TYPE_CHECKING:
    from workbench.audit import VerifyResult
    from workbench.audit.entries import OPERATIONS
    from workbench.policy import (
        Finding,
        PolicyKind,
        Severity,
        catalogue_info,
        format_findings,
        has_errors,
        validate_policy,
    )
    from workbench.service.audit_trail import audit_line
    from workbench.service.cutoff import describe as describe_revocation
    from workbench.service.facade import Workbench
    from workbench.service.formats import IssuedCredential, StaticCredential
    from workbench.service.incident import Contained, Containment
    from workbench.service.leases import PrefixRevocation
    from workbench.service.reconcile import IamUserView, ReconcileReport
    from workbench.service.report import schema as incident_report_schema
    from workbench.service.role_ops import role_prefix
    from workbench.service.roles import FIELDS as ROLE_FIELDS_BY_TYPE
    from workbench.service.roles import read_role_file
    from workbench.service.setup import create_workbench, open_workbench
    from workbench.service.store_copy import CopyReport, copy_store
    from workbench.service.user_files import (
        DOCUMENT_FILE_LIMIT,
        PASSPHRASE_FILE_LIMIT,
        check_passphrase_text,
        read_text_file,
    )
    from workbench.service.vault_output import VaultResult
    from workbench.service.vault_run import run as run_vault_command
    from workbench.service.vault_syntax import COMMANDS as VAULT_COMMANDS
    from workbench.service.vault_syntax import SECRET_KEYS as VAULT_SECRET_KEYS
    from workbench.service.vault_syntax import VaultCommand, VaultUsageError, split_line
    from workbench.service.vault_syntax import parse as parse_vault_command
    from workbench.store.files import check_private_home, db_path, default_home, store_exists
    from workbench.store.location import StoreLocation, parse_location, redact_url

_WHERE = {
    "VerifyResult": "workbench.audit",
    "OPERATIONS": "workbench.audit.entries",
    "Finding": "workbench.policy",
    "PolicyKind": "workbench.policy",
    "Severity": "workbench.policy",
    "catalogue_info": "workbench.policy",
    "format_findings": "workbench.policy",
    "has_errors": "workbench.policy",
    "validate_policy": "workbench.policy",
    "audit_line": "workbench.service.audit_trail",
    "Workbench": "workbench.service.facade",
    "IssuedCredential": "workbench.service.formats",
    "StaticCredential": "workbench.service.formats",
    "Contained": "workbench.service.incident",
    "Containment": "workbench.service.incident",
    "PrefixRevocation": "workbench.service.leases",
    "IamUserView": "workbench.service.reconcile",
    "ReconcileReport": "workbench.service.reconcile",
    "role_prefix": "workbench.service.role_ops",
    "read_role_file": "workbench.service.roles",
    "create_workbench": "workbench.service.setup",
    "open_workbench": "workbench.service.setup",
    "CopyReport": "workbench.service.store_copy",
    "copy_store": "workbench.service.store_copy",
    "StoreLocation": "workbench.store.location",
    "parse_location": "workbench.store.location",
    "redact_url": "workbench.store.location",
    "DOCUMENT_FILE_LIMIT": "workbench.service.user_files",
    "PASSPHRASE_FILE_LIMIT": "workbench.service.user_files",
    "check_passphrase_text": "workbench.service.user_files",
    "read_text_file": "workbench.service.user_files",
    "check_private_home": "workbench.store.files",
    "db_path": "workbench.store.files",
    "default_home": "workbench.store.files",
    "store_exists": "workbench.store.files",
}
_WHERE["ROLE_FIELDS_BY_TYPE"] = "workbench.service.roles:FIELDS"
_WHERE["incident_report_schema"] = "workbench.service.report:schema"
_WHERE["describe_revocation"] = "workbench.service.cutoff:describe"
_WHERE["VaultResult"] = "workbench.service.vault_output"
_WHERE["run_vault_command"] = "workbench.service.vault_run:run"
_WHERE["VAULT_COMMANDS"] = "workbench.service.vault_syntax:COMMANDS"
_WHERE["VAULT_SECRET_KEYS"] = "workbench.service.vault_syntax:SECRET_KEYS"
_WHERE["VaultCommand"] = "workbench.service.vault_syntax"
_WHERE["VaultUsageError"] = "workbench.service.vault_syntax"
_WHERE["split_line"] = "workbench.service.vault_syntax"
_WHERE["parse_vault_command"] = "workbench.service.vault_syntax:parse"
__getattr__ = lazy_getattr(__name__, _WHERE)

__all__ = [
    "DOCUMENT_FILE_LIMIT",
    "OPERATIONS",
    "PASSPHRASE_FILE_LIMIT",
    "ROLE_FIELDS_BY_TYPE",
    "VAULT_COMMANDS",
    "VAULT_SECRET_KEYS",
    "Contained",
    "Containment",
    "CopyReport",
    "Finding",
    "IamUserView",
    "IssuedCredential",
    "PolicyKind",
    "PrefixRevocation",
    "ReconcileReport",
    "Severity",
    "StaticCredential",
    "StoreLocation",
    "VaultCommand",
    "VaultResult",
    "VaultUsageError",
    "VerifyResult",
    "Workbench",
    "audit_line",
    "catalogue_info",
    "check_passphrase_text",
    "check_private_home",
    "copy_store",
    "create_workbench",
    "db_path",
    "default_home",
    "describe_revocation",
    "format_findings",
    "has_errors",
    "incident_report_schema",
    "open_workbench",
    "parse_location",
    "parse_vault_command",
    "read_role_file",
    "read_text_file",
    "redact_url",
    "role_prefix",
    "run_vault_command",
    "split_line",
    "store_exists",
    "validate_policy",
]
