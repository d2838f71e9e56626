"""`wb.static_roles`: Vault's static roles, an existing IAM user's key rotated on a schedule.

Rotation keeps exactly one key of ours in AWS, crash-safe as issuance is:
the role is marked `creating` before CreateAccessKey (a key made then lost
in a crash is found by listing the user's keys and deleted), the new key is
stored (sealed) and the role marked `deleting` before the previous key is
deleted. At every step one working key is recorded, and the next start
(the worker, `static-creds`, `static-role rotate`) finishes or rolls back a
rotation whose process died. A user that already holds two keys is taken
over only with the operator's consent: its older key is deleted first.
Changing `rotation_period` reschedules from the last rotation (Vault
#21967), and a rotation replaces the key, never adds one (Vault #27477).
"""

from __future__ import annotations

import builtins
import dataclasses
from typing import Any, TypeGuard

from workbench.aws import static_keys
from workbench.aws.iam_user import user_exists
from workbench.domain.durations import parse_duration
from workbench.domain.errors import Conflict, InvalidInput, NotFound, WorkbenchError
from workbench.domain.faults import fault_point
from workbench.domain.models import CredentialType, Lease, LeaseState, StaticRole
from workbench.service.base import ServicePart
from workbench.service.formats import StaticCredential
from workbench.service.roles import check_name

MIN_ROTATION_SECONDS = 60
RETRY_SECONDS = 60.0  # a failed scheduled rotation is tried again after this long
# What Vault calls these fields in a static role's JSON.
FIELDS = ("username", "rotation_period")


def static_path(engine: str, name: str) -> str:
    return f"{engine}/static-roles/{name}"


class StaticRoles(ServicePart):
    """Write, read, list, delete, rotate and read the credentials of static roles."""

    def write(
        self,
        engine_name: str,
        name: str,
        body: dict[str, Any],
        *,
        take_over: bool = False,
    ) -> StaticRole:
        """Create or change a static role; a new one is taken over (rotated) at once.

        Taking a user over deletes the keys it had (its users lose them):
        `take_over` says the operator agreed, and is required when it has any.
        """
        username, period, keys = self.preflight(engine_name, name, body, take_over=take_over)
        data = {"username": username, "rotation_period": period}
        with self._audit.operation("update", static_path(engine_name, name), data) as op:
            current = self._ctx.store.static_roles.get(engine_name, name)
            if current is not None:
                current.rotation_period = period  # next rotation: last rotation + the new period
                current.updated_time = self._ctx.clock()
                self._ctx.store.static_roles.put(current)
                op.respond(data={"next_rotation": current.next_rotation})
                return current
            role = StaticRole(
                engine=engine_name,
                name=name,
                username=username,
                rotation_period=period,
                updated_time=self._ctx.clock(),
            )
            self._ctx.store.static_roles.put(role)
            op.respond(data={"taken_over_keys": [k.access_key_id for k in keys]})
        return self.rotate(engine_name, name, source="take-over")

    def preflight(
        self, engine_name: str, name: str, body: dict[str, Any], *, take_over: bool
    ) -> tuple[str, int, list[static_keys.KeyInfo]]:
        """Check a write before anything is stored: fields, the user, consent to take it over.

        Returns the username, the period in seconds and the keys it would replace.
        """
        check_name("engine", engine_name)
        check_name("static role", name)
        username, period = _fields(body)
        engine = self._ctx.engine(engine_name)
        current = self._ctx.store.static_roles.get(engine_name, name)
        if current is not None:
            if current.username != username:
                raise InvalidInput(
                    f"static role {name!r} manages {current.username!r}; delete it "
                    f"first to manage {username!r}",
                    field="username",
                )
            return username, period, []
        clients = self._ctx.clients(engine)
        if not user_exists(clients, username):
            raise NotFound(f"IAM user {username!r} does not exist in AWS", field="username")
        keys = static_keys.list_keys(clients, username)
        if keys and not take_over:
            raise Conflict(
                f"IAM user {username!r} has {len(keys)} access key(s) "
                f"({', '.join(k.access_key_id for k in keys)}); taking it over replaces "
                "them, and whatever uses them stops working",
                hint="confirm_take_over",
            )
        return username, period, keys

    def read(self, engine_name: str, name: str) -> StaticRole:
        check_name("engine", engine_name)
        check_name("static role", name)
        role = self._ctx.store.static_roles.get(engine_name, name, secrets=False)
        if role is None:
            raise NotFound(f"static role {name!r} not found in engine {engine_name!r}")
        return role

    def list(self, engine_name: str | None = None) -> builtins.list[StaticRole]:
        return self._ctx.store.static_roles.list(engine_name)

    def delete(self, engine_name: str, name: str) -> StaticRole:
        """Forget the role; the user and its current key stay in AWS (as Vault)."""
        role = self.read(engine_name, name)
        with self._audit.operation("delete", static_path(engine_name, name), None):
            self._ctx.store.static_roles.delete(engine_name, name)
        return role

    def creds(self, engine_name: str, name: str) -> StaticCredential:
        """Vault's `read aws/static-creds/NAME`: the current key, until its next rotation."""
        if self._settled(engine_name, name).access_key_id is None:
            self.rotate(engine_name, name, source="take-over")  # one a crash cut short
        path = f"{engine_name}/static-creds/{name}"
        with self._audit.operation("read", path, None) as op:
            role = self._settled(engine_name, name)
            if not role.access_key_id or not role.secret_key:
                raise Conflict(
                    f"static role {name!r} has no key yet (its first rotation failed: "
                    f"{role.error or 'not run'}); rotate it",
                )
            engine = self._ctx.engine(engine_name, enabled=False)
            credential = StaticCredential(
                lease=_as_lease(role),
                request_id=op.request_id,
                region=engine.root.region,
                iam_endpoint=engine.root.iam_endpoint,
                sts_endpoint=engine.root.sts_endpoint,
            )
            op.respond(
                data={
                    "access_key": role.access_key_id,
                    "secret_key": role.secret_key,
                    "expiration": role.next_rotation,
                }
            )
        return credential

    # -- rotation ------------------------------------------------------------------------

    def rotate(self, engine_name: str, name: str, *, source: str = "operator") -> StaticRole:
        """Replace the user's key now (audited); one key of ours stays in AWS."""
        self.read(engine_name, name)
        path = f"{static_path(engine_name, name)}/rotate"
        with self._audit.operation("update", path, {"source": source}) as op:
            role = self._settled(engine_name, name)
            now = self._ctx.clock()
            if not self._ctx.store.static_roles.claim(
                engine_name, name, owner=self._ctx.owner(), now=now
            ):
                raise Conflict(f"static role {name!r} is being rotated by another process")
            role = self._rotate_claimed(role)
            op.respond(data={"access_key": role.access_key_id})
        return dataclasses.replace(role, secret_key=None)

    def due(self, now: float) -> builtins.list[StaticRole]:
        """Roles whose next rotation has come, or whose rotation's process died."""
        return [
            role
            for role in self._ctx.store.static_roles.list(skip_damaged=True)
            if (
                role.step is None
                and role.next_rotation <= now
                and not (role.error and now - role.updated_time < RETRY_SECONDS)
            )
            or (role.step is not None and self._ctx.owner_is_dead(role.owner))
        ]

    def _settled(self, engine_name: str, name: str) -> StaticRole:
        """The role, with a rotation its dead process left half-done finished or rolled back."""
        role = self._ctx.store.static_roles.get(engine_name, name)
        if role is None:
            raise NotFound(f"static role {name!r} not found in engine {engine_name!r}")
        if role.step is None or not self._ctx.owner_is_dead(role.owner):
            return role
        clients = self._ctx.clients(self._ctx.engine(engine_name, enabled=False))
        self._clear_step(clients, role)
        self._ctx.store.static_roles.put(role)
        return role

    def run_due(self, engine_name: str, name: str) -> StaticRole | None:
        """The worker's step: settle a dead rotation, rotate if the schedule says so."""
        role = self._settled(engine_name, name)
        if role.step is None and role.next_rotation <= self._ctx.clock():
            return self.rotate(engine_name, name, source="schedule")
        return None

    def _rotate_claimed(self, role: StaticRole) -> StaticRole:
        clients = self._ctx.clients(self._ctx.engine(role.engine, enabled=False))
        fault_point("static.claimed")
        try:
            keys = static_keys.list_keys(clients, role.username)
            others = [k for k in keys if k.access_key_id != role.access_key_id]
            # The key that goes once the new one is stored: ours, or the newest taken over.
            previous = role.access_key_id or (others[-1].access_key_id if others else None)
            role.previous_key_id = previous
            role.step, role.owner = "creating", self._ctx.owner()
            self._ctx.store.static_roles.put(role)
            if len(keys) >= 2:  # AWS allows two: make room, never deleting the working key
                for key in others:
                    if key.access_key_id != previous:
                        static_keys.delete_key(clients, role.username, key.access_key_id)
            new = static_keys.create_key(clients, role.username)
            fault_point("static.created")
            role.access_key_id, role.secret_key = new.access_key_id, new.secret_access_key
            role.step = "deleting"
            self._ctx.store.static_roles.put(role)
            fault_point("static.stored")
            if previous:
                static_keys.delete_key(clients, role.username, previous)
            fault_point("static.deleted")
        except WorkbenchError as error:
            self._ctx.store.static_roles.put(self._rolled_back(clients, role, str(error)))
            raise
        role.step, role.owner, role.previous_key_id, role.error = None, None, None, None
        role.last_rotated = self._ctx.clock()
        role.updated_time = role.last_rotated
        self._ctx.store.static_roles.put(role)
        return role

    def _rolled_back(self, clients: Any, role: StaticRole, error: str) -> StaticRole:
        """After a failed step: the stored key is the one that works; nothing else of ours."""
        stored = self._ctx.store.static_roles.get(role.engine, role.name) or role
        try:
            self._clear_step(clients, stored)
        except WorkbenchError:
            stored.step, stored.owner = None, None  # the next rotation lists the keys first
        stored.error = error
        return stored

    def _clear_step(self, clients: Any, role: StaticRole) -> None:
        """Finish or roll back the step a rotation stopped at (in place)."""
        if role.step == "creating":
            # A key made after `creating` and lost with its process: unusable, delete it.
            keep = {role.access_key_id, role.previous_key_id}
            for key in static_keys.list_keys(clients, role.username):
                if key.access_key_id not in keep:
                    static_keys.delete_key(clients, role.username, key.access_key_id)
        elif role.step == "deleting":  # the new key is stored; the previous one goes
            if role.previous_key_id:
                static_keys.delete_key(clients, role.username, role.previous_key_id)
            role.previous_key_id = None
            role.last_rotated = self._ctx.clock()
        role.step, role.owner = None, None
        role.updated_time = self._ctx.clock()


def is_static_body(body: object) -> TypeGuard[dict[str, Any]]:
    """Vault's static-role JSON: a username and a rotation period, no credential type."""
    return isinstance(body, dict) and "credential_type" not in body and "username" in body


def _fields(body: dict[str, Any]) -> tuple[str, int]:
    unknown = set(body) - {*FIELDS, "name"}
    if unknown:
        raise InvalidInput(
            f"unknown static role field(s): {', '.join(sorted(unknown))} "
            f"(a static role has {', '.join(FIELDS)})"
        )
    username = body.get("username")
    if not isinstance(username, str) or not username.strip():
        raise InvalidInput(
            "{field:username} is required: the name of an existing IAM user", field="username"
        )
    period = parse_duration(body.get("rotation_period"), field="rotation_period")
    if period < MIN_ROTATION_SECONDS:
        raise InvalidInput(
            f"{{field:rotation_period}} must be at least {MIN_ROTATION_SECONDS}s",
            field="rotation_period",
        )
    return username.strip(), period


def _as_lease(role: StaticRole) -> Lease:
    """The current key in the shape the credential formats take."""
    return Lease(
        lease_id=f"{role.engine}/static-creds/{role.name}",
        engine=role.engine,
        role=role.name,
        credential_type=CredentialType.IAM_USER,
        state=LeaseState.ACTIVE,
        issue_time=role.last_rotated or role.updated_time,
        expire_time=role.next_rotation,
        max_expire_time=role.next_rotation,
        renewable=False,
        iam_user_name=role.username,
        access_key_id=role.access_key_id,
        secret_key=role.secret_key,
    )
