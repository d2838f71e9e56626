"""Roles: write (validated), import, read, list and delete."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from workbench.domain.errors import Conflict, InvalidInput, StoreCorrupted, WorkbenchError
from workbench.domain.models import CredentialType, Role, StaticRole
from workbench.service.base import ServicePart
from workbench.service.context import ServiceContext
from workbench.service.guard import guard_size
from workbench.service.roles import (
    check_name,
    parse_role,
    read_role_file,
    role_files,
    role_json,
)
from workbench.service.static_roles import is_static_body

if TYPE_CHECKING:
    from workbench.policy import Finding
    from workbench.service.leases import Leases
    from workbench.service.static_roles import StaticRoles


def role_prefix(engine: str, name: str) -> str:
    """The lease id prefix of every credential a role handed out."""
    return f"{engine}/creds/{name}/"


class Roles(ServicePart):
    """`wb.roles`: Vault's `aws/roles/NAME`."""

    def __init__(self, ctx: ServiceContext, leases: Leases, static_roles: StaticRoles) -> None:
        super().__init__(ctx)
        self._leases = leases
        self._static = static_roles

    def check(
        self, engine_name: str, name: str, body: dict[str, Any] | str
    ) -> tuple[Role, list[Finding]]:
        """Parse and validate without storing (the TUI's editor calls this as you type)."""
        from workbench.policy import PolicyKind, validate_policy

        engine = self._ctx.engine(engine_name, enabled=False)
        role = parse_role(engine.name, name, body)
        findings: list[Finding] = []
        if role.policy_document:
            if role.credential_type is CredentialType.IAM_USER:
                reserved = guard_size() if engine.root.expiry_guard else 0
                findings = validate_policy(
                    role.policy_document, PolicyKind.INLINE_USER, reserved_chars=reserved
                )
            else:
                findings = validate_policy(role.policy_document, PolicyKind.SESSION)
        return role, findings

    def write(
        self, engine_name: str, name: str, body: dict[str, Any] | str, *, source: str = "role"
    ) -> tuple[Role, list[Finding]]:
        """Store a role; refused (with every finding) while its policy has ERRORs."""
        from workbench.policy import format_findings, has_errors

        role, findings = self.check(engine_name, name, body)
        if has_errors(findings):
            raise InvalidInput(
                f"role {name!r}: the policy document has errors; nothing was saved\n"
                + format_findings(findings, source)
            )
        data = role.body()
        if role.policy_document:
            # Policy documents are kept encrypted; the audit trail holds their HMAC.
            data["policy_document"] = self._audit.hash_value(role.policy_document)
        with self._audit.operation("update", f"{engine_name}/roles/{name}", data):
            role.updated_time = self._ctx.clock()
            self._ctx.store.roles.put(role)
        return role, findings

    def import_files(
        self, engine_name: str, paths: list[str], *, take_over: bool = False
    ) -> list[tuple[Role | StaticRole, list[Finding]]]:
        """Write every role file; all are checked first, so none is stored if one is bad.

        A file in Vault's static-role shape (`username`, `rotation_period`) is a
        static role; taking its user over needs `take_over` if it has keys.
        """
        from workbench.policy import format_findings, has_errors

        files = role_files(paths)
        checked: list[tuple[str, str, str]] = []
        static: list[tuple[str, dict[str, Any]]] = []
        problems: list[str] = []
        for name, path in files:
            text = read_role_file(path)
            try:
                body = role_json(name, text)
                if is_static_body(body):
                    self._static.preflight(engine_name, name, body, take_over=take_over)
                    static.append((name, body))
                    continue
                _role, findings = self.check(engine_name, name, text)
            except WorkbenchError as error:
                if isinstance(error, Conflict):
                    raise  # the take-over question, asked before anything is written
                problems.append(f"{path}: {error}")
                continue
            if has_errors(findings):
                problems.append(format_findings(findings, str(path)))
            checked.append((name, text, str(path)))
        if problems:
            raise InvalidInput("no role was imported:\n" + "\n".join(problems))
        written: list[tuple[Role | StaticRole, list[Finding]]] = [
            self.write(engine_name, name, text, source=src) for name, text, src in checked
        ]
        for name, body in static:
            written.append((self._static.write(engine_name, name, body, take_over=take_over), []))
        return written

    def read(self, engine_name: str, name: str) -> Role:
        check_name("engine", engine_name)
        check_name("role", name)
        with self._audit.operation("read", f"{engine_name}/roles/{name}"):
            return self._ctx.role(engine_name, name)

    def list(self, engine_name: str) -> list[Role]:
        self._ctx.engine(engine_name, enabled=False)
        return self._ctx.store.roles.list(engine_name)

    def live_lease_count(self, engine_name: str, name: str) -> int:
        return self._ctx.store.leases.count_live(role_prefix(engine_name, name))

    def delete(self, engine_name: str, name: str, *, revoke_leases: bool = False) -> int:
        """Delete a role; with live leases, refuse unless asked to revoke them first.

        Returns how many leases were revoked. A role whose stored row is damaged
        can still be deleted: that is the way out of the damage.
        """
        with contextlib.suppress(StoreCorrupted):
            self._ctx.role(engine_name, name)
        live = self.live_lease_count(engine_name, name)
        revoked = 0
        with self._audit.operation(
            "delete", f"{engine_name}/roles/{name}", {"revoke_leases": revoke_leases}
        ):
            if live and not revoke_leases:
                raise Conflict(
                    f"role {name!r} has {live} live lease(s); revoke them first",
                    hint="delete_role_with_leases",
                    hint_args={"role": name, "prefix": role_prefix(engine_name, name)},
                )
            if live:
                outcome = self._leases.revoke_prefix(role_prefix(engine_name, name))
                revoked = len(outcome.revoked)
                if outcome.failed:
                    raise Conflict(
                        f"role {name!r} kept: {len(outcome.failed)} of its leases could not be "
                        "revoked",
                        hint="list_leases",
                    )
            self._ctx.store.roles.delete(engine_name, name)
        return revoked
