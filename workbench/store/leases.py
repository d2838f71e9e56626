"""Lease rows: the hot table, written on every issue, renew and revoke."""

from __future__ import annotations

import builtins
import dataclasses
import json
import sqlite3
from typing import Any

from workbench.domain.errors import StoreCorrupted
from workbench.domain.lifecycle import (
    ACTIVE,
    IN_SERVICE,
    IRREVOCABLE,
    PENDING,
    PROBED,
    RECOVERABLE,
    RECOVERED_NOTE,
    RENEWABLE,
    REVOKING,
    sql_in,
)
from workbench.domain.models import CredentialType, Lease, LeaseState, UnreadableLease
from workbench.store.crypto import Cipher
from workbench.store.dialect import POSTGRESQL, SAME_AS, SQLITE, SqlConnection
from workbench.store.lease_columns import (
    COLUMNS,
    DUE_SQL,
    INSERT,
    JSON_COLUMNS,
    LIVE_SQL,
    PUBLIC_INDEXES,
    PUBLIC_SELECT,
    READABLE_SQL,
    SECRET_COLUMNS,
    UPDATE,
    UPDATE_PUBLIC,
    json_text,
    json_value,
    unreadable_row,
)

# The claim, one atomic UPDATE: a lease in service (at expiry for the worker,
# any time for an operator), an irrevocable one (at its retry time for the
# worker), one revoking whose holder's time is up, or a pending or revoking one
# whose process has died (`orphaned`; CAST gives PostgreSQL its type when NULL).
_CLAIM = {
    dialect: "UPDATE leases SET state = :revoking, next_attempt_time = :until, "
    "owner = :owner, updated_time = :now WHERE lease_id = :lease_id AND ("
    f" (state IN ({sql_in(IN_SERVICE)}) AND (:due_only = 0 OR expire_time <= :now))"
    f" OR (state = '{IRREVOCABLE.value}'"
    "     AND (:due_only = 0 OR coalesce(next_attempt_time, 0) <= :now))"
    f" OR (state = '{REVOKING.value}' AND coalesce(next_attempt_time, 0) <= :now)"
    f" OR (state IN ('{PENDING.value}', '{REVOKING.value}')"
    f"     AND owner {same_as} CAST(:orphaned AS TEXT)"
    "     AND CAST(:orphaned AS TEXT) IS NOT NULL))"
    for dialect, same_as in SAME_AS.items()
}


# Where `_lease` finds the values it converts; Lease takes the row's values by position
# when its fields begin with COLUMNS, in that order (else by name).
_TYPE_AT, _STATE_AT, _RENEWABLE_AT = (
    COLUMNS.index(column) for column in ("credential_type", "state", "renewable")
)
_JSON_AT = tuple(COLUMNS.index(column) for column in JSON_COLUMNS)
_SECRET_AT = tuple((column, COLUMNS.index(column)) for column in SECRET_COLUMNS)
_BY_POSITION = tuple(field.name for field in dataclasses.fields(Lease))[: len(COLUMNS)] == COLUMNS


def _json_record(text: Any) -> dict[str, Any] | None:
    """The revocation record to add to: the stored object, a fresh one for text that is not
    JSON (or none), None for JSON that is not an object (left as it is, as json_set leaves it)."""
    if not isinstance(text, str):
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else None


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


class SqliteLeases:
    """Leases with their secret key and session token sealed per row."""

    def __init__(self, conn: SqlConnection, cipher: Cipher) -> None:
        self._conn = conn
        self._cipher = cipher
        self._readable = READABLE_SQL[conn.dialect]
        self._same_as = SAME_AS[conn.dialect]

    def _values(self, lease: Lease, *, seal: bool = True) -> builtins.list[Any]:
        """Column values in COLUMNS order; the secrets sealed (or None if not `seal`)."""

        def sealed(column: str, value: str | None) -> bytes | None:
            return self._cipher.encrypt("leases", lease.lease_id, column, value) if seal else None

        return [
            lease.lease_id,
            lease.engine,
            lease.role,
            lease.credential_type.value,
            lease.state.value,
            lease.issue_time,
            lease.expire_time,
            lease.max_expire_time,
            int(lease.renewable),
            lease.iam_user_name,
            lease.iam_user_path,
            lease.access_key_id,
            sealed("secret_key", lease.secret_key),
            sealed("session_token", lease.session_token),
            lease.role_arn,
            lease.error,
            lease.attempts,
            lease.next_attempt_time,
            lease.owner,
            lease.updated_time,
            lease.session_name,
            json_text(lease.created),
            json_text(lease.revocation),
            lease.issued_by,
            lease.cache_key,
        ]

    def _lease(self, row: sqlite3.Row | tuple[Any, ...], secrets: bool) -> Lease:
        """A row known to be readable (it passed READABLE_SQL) as a Lease.

        By position, not by name: 10,000 of them are built in a third less time.
        """
        values = list(row)
        if len(values) != len(COLUMNS):
            raise ValueError(f"a lease row has {len(values)} values, not {len(COLUMNS)}")
        if secrets:
            lease_id = values[0]  # the first column
            for column, at in _SECRET_AT:
                values[at] = self._cipher.decrypt("leases", lease_id, column, values[at])
        values[_TYPE_AT] = CredentialType(values[_TYPE_AT])
        values[_STATE_AT] = LeaseState(values[_STATE_AT])
        values[_RENEWABLE_AT] = bool(values[_RENEWABLE_AT])
        for at in _JSON_AT:
            values[at] = json_value(values[at])
        if _BY_POSITION:
            return Lease(*values)
        return Lease(**dict(zip(COLUMNS, values, strict=True)))

    def insert(self, lease: Lease) -> None:
        with self._conn.transaction():
            self._conn.execute(INSERT, self._values(lease))

    def update(self, lease: Lease, *, secrets: bool = False) -> None:
        """Write the lease's fields; its secret columns only when `secrets` is true.

        A lease read without its secrets (the usual case) can be updated
        without erasing them; `secrets=True` writes them, None erasing.
        """
        if secrets:
            values = self._values(lease)
            sql = UPDATE
        else:
            everything = self._values(lease, seal=False)
            values = [everything[i] for i in PUBLIC_INDEXES]
            sql = UPDATE_PUBLIC
        with self._conn.transaction():
            self._conn.execute(sql, [*values[1:], values[0]])

    def get(self, lease_id: str, *, secrets: bool = False) -> Lease | None:
        """The lease, None if there is none; StoreCorrupted if its row cannot be read."""
        select = ", ".join(COLUMNS) if secrets else PUBLIC_SELECT
        rows = self._conn.query(
            f"SELECT {select}, {self._readable} FROM leases WHERE lease_id = ?", (lease_id,)
        )
        return self._one(lease_id, rows, secrets)

    def _one(self, lease_id: str, rows: builtins.list[Any], secrets: bool) -> Lease | None:
        """The lease of a one-row answer (its columns, then whether it is readable)."""
        if not rows:
            return None
        if not rows[0][-1]:
            bad = self.unreadable(lease_id=lease_id)
            reason = bad[0].error if bad else "it cannot be read"
            raise StoreCorrupted(f"lease {lease_id!r} is unreadable: {reason}")
        return self._lease(rows[0][:-1], secrets)

    def unreadable(
        self, *, prefix: str | None = None, lease_id: str | None = None
    ) -> builtins.list[UnreadableLease]:
        """Rows this version cannot read, with what is wrong with each."""
        sql, params = self.unreadable_query(prefix=prefix, lease_id=lease_id)
        return [unreadable_row(row) for row in self._conn.query(sql, params)]

    def unreadable_query(
        self, *, prefix: str | None = None, lease_id: str | None = None
    ) -> tuple[str, builtins.list[Any]]:
        """The SELECT `unreadable` runs: its first term is the partial index's own
        (UNREADABLE_INDEX), so only the unreadable rows are read."""
        clauses = [f"NOT {self._readable}"]
        params: builtins.list[Any] = []
        if prefix:
            clauses.append("CAST(lease_id AS TEXT) LIKE ? ESCAPE '\\'")
            params.append(_like_prefix(prefix))
        if lease_id is not None:
            clauses.append("lease_id = ?")
            params.append(lease_id)
        return f"SELECT {', '.join(COLUMNS)} FROM leases WHERE {' AND '.join(clauses)}", params

    def list(
        self,
        *,
        prefix: str | None = None,
        live_only: bool = True,
        states: frozenset[LeaseState] | None = None,
        limit: int | None = None,
        access_key_id: str | None = None,
    ) -> builtins.list[Lease]:
        where, params = self._where(prefix, live_only, states)
        if access_key_id is not None:
            where += " AND access_key_id = ?"
            params.append(access_key_id)
        sql = f"SELECT {PUBLIC_SELECT} FROM leases {where} ORDER BY issue_time, lease_id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._lease(row, False) for row in self._conn.query(sql, params)]

    def cached(
        self,
        cache_key: str,
        *,
        now: float,
        min_left: float,
        states: frozenset[LeaseState] = frozenset({ACTIVE}),
        secrets: bool = False,
    ) -> Lease | None:
        """The credential cache's lease for `cache_key` with more than `min_left` of its TTL left.

        Only a lease issued for that key, in one of `states`, with no access cut
        (no revocation record), and the one with the most time left.
        """
        select = ", ".join(COLUMNS) if secrets else PUBLIC_SELECT
        rows = self._conn.query(
            f"SELECT {select} FROM leases WHERE cache_key = ? "
            f"AND state IN ({', '.join('?' * len(states))}) AND {self._readable} "
            "AND revocation IS NULL AND expire_time > ? "
            "AND expire_time - ? > ? * (expire_time - issue_time) "
            "ORDER BY expire_time DESC, lease_id LIMIT 1",
            [cache_key, *(state.value for state in sorted(states)), now, now, min_left],
        )
        return self._lease(rows[0], secrets) if rows else None

    def _where(
        self, prefix: str | None, live_only: bool, states: frozenset[LeaseState] | None
    ) -> tuple[str, builtins.list[Any]]:
        clauses: builtins.list[str] = [self._readable]
        params: builtins.list[Any] = []
        if prefix:
            clauses.append("lease_id LIKE ? ESCAPE '\\'")
            params.append(_like_prefix(prefix))
        if states is not None:
            clauses.append(f"state IN ({', '.join('?' * len(states))})")
            params.extend(state.value for state in states)
        elif live_only:
            clauses.append(LIVE_SQL)
        return "WHERE " + " AND ".join(clauses), params

    def count_live(self, prefix: str) -> int:
        where, params = self._where(prefix, True, None)
        return int(self._conn.query(f"SELECT count(*) FROM leases {where}", params)[0][0])

    def due(self, now: float, limit: int = 1000) -> builtins.list[Lease]:
        """Live leases whose expiry or retry time has come, soonest first."""
        sql = (
            f"SELECT {PUBLIC_SELECT} FROM leases WHERE {DUE_SQL} "
            f"AND {self._readable} AND coalesce(next_attempt_time, expire_time) <= ? "
            "ORDER BY coalesce(next_attempt_time, expire_time) LIMIT ?"
        )
        params = [now, limit]
        return [self._lease(row, False) for row in self._conn.query(sql, params)]

    def next_due_time(self) -> float | None:
        """When the next live lease expires or is due a retry."""
        rows = self._conn.query(
            "SELECT min(coalesce(next_attempt_time, expire_time)) FROM leases "
            f"WHERE {DUE_SQL} AND {self._readable}"
        )
        value = rows[0][0]
        return float(value) if value is not None else None

    def claim(
        self,
        lease_id: str,
        *,
        now: float,
        hold: float,
        owner: str,
        due_only: bool = False,
        orphaned_owner: str | None = None,
    ) -> Lease | None:
        """Atomically take a live lease for revocation; None if it is not to be taken.

        A lease already `revoking` is taken only once its holder's time is up,
        so two processes never revoke the same lease at once. `due_only` (the
        worker) takes a live lease only if it has expired by `now`, so a renew
        that just landed wins. `orphaned_owner` also takes a `pending` lease
        still held by that (dead) issuer.
        """
        params = {
            "revoking": REVOKING.value,
            "until": now + hold,
            "owner": owner,
            "now": now,
            "lease_id": lease_id,
            "due_only": int(due_only),
            "orphaned": orphaned_owner,
        }
        with self._conn.transaction():
            if self._conn.dialect == POSTGRESQL:  # the taken row comes back: one round trip
                returning = f" RETURNING {PUBLIC_SELECT}, {self._readable}"
                return self._one(
                    lease_id, self._conn.query(_CLAIM[POSTGRESQL] + returning, params), False
                )
            if self._conn.execute(_CLAIM[SQLITE], params).rowcount == 0:
                return None
            return self.get(lease_id, secrets=False)

    def reschedule_orphan(self, lease_id: str, *, owner: str | None, now: float) -> bool:
        """Make a lease left by a dead process due now, unless someone took it since."""
        with self._conn.transaction():
            cursor = self._conn.execute(
                "UPDATE leases SET state = ?, next_attempt_time = ?, updated_time = ?, "
                "error = coalesce(error, ?) "
                f"WHERE lease_id = ? AND state IN ({sql_in(RECOVERABLE)}) "
                f"AND owner {self._same_as} CAST(? AS TEXT)",
                (REVOKING.value, now, now, RECOVERED_NOTE, lease_id, owner),
            )
        return cursor.rowcount > 0

    def renew(self, lease_id: str, *, expire_time: float, now: float) -> bool:
        """Move a live, unclaimed lease's expiry; False if it is no longer active."""
        with self._conn.transaction():
            cursor = self._conn.execute(
                "UPDATE leases SET expire_time = ?, updated_time = ? "
                f"WHERE lease_id = ? AND state IN ({sql_in(RENEWABLE)})",
                (expire_time, now, lease_id),
            )
        return cursor.rowcount > 0

    def note_key_inactive(self, lease_id: str, *, at: float) -> bool:
        """Record that a live lease's key was made Inactive (its revocation skips that call).

        Read, changed and written back under the write lock, so no other write
        to the record lands in between (the same on every backend).
        """
        with self._conn.transaction():
            rows = self._conn.query(
                f"SELECT revocation FROM leases WHERE lease_id = ? AND {LIVE_SQL}", (lease_id,)
            )
            if not rows:
                return False
            record = _json_record(rows[0][0])
            if record is not None:
                record["key_inactive_time"] = at
                self._conn.execute(
                    "UPDATE leases SET revocation = ? WHERE lease_id = ?",
                    (json_text(record), lease_id),
                )
        return True

    def promote(self, lease_id: str, *, now: float) -> bool:
        """A propagating lease whose key AWS now accepts becomes active (if still propagating)."""
        with self._conn.transaction():
            cursor = self._conn.execute(
                "UPDATE leases SET state = ?, updated_time = ? "
                f"WHERE lease_id = ? AND state IN ({sql_in(PROBED)})",
                (ACTIVE.value, now, lease_id),
            )
        return cursor.rowcount > 0
