"""Cache claims: which process is issuing the credential cache's lease for a request now.

A claim is taken in the same write transaction that found no lease to reuse,
so of several processes asking for one request at once only one issues; the
others wait for its lease. A claim whose holder died or whose time is up is
taken over (see service.cred_cache).
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.store.dialect import SqlConnection


@dataclass(frozen=True)
class CacheClaim:
    """One process issuing the cache's lease for `cache_key`; `token` names this claim alone."""

    cache_key: str
    owner: str
    token: str
    claimed_time: float


class SqliteCacheClaims:
    """The `cache_claims` table (the same SQL on both backends)."""

    def __init__(self, conn: SqlConnection) -> None:
        self._conn = conn

    def get(self, cache_key: str) -> CacheClaim | None:
        """The claim on `cache_key`, if any (one whose time cannot be read counts as expired)."""
        rows = self._conn.query(
            "SELECT cache_key, owner, token, claimed_time FROM cache_claims WHERE cache_key = ?",
            (cache_key,),
        )
        if not rows:
            return None
        key, owner, token, claimed_time = rows[0]
        if not isinstance(claimed_time, int | float) or isinstance(claimed_time, bool):
            claimed_time = 0.0  # a damaged row reads as a claim long expired: it is taken over
        return CacheClaim(str(key), str(owner), str(token), float(claimed_time))

    def put(self, claim: CacheClaim) -> None:
        """Take the claim for its key, replacing one that was there (a take-over)."""
        with self._conn.transaction():
            self._conn.execute(
                "INSERT INTO cache_claims (cache_key, owner, token, claimed_time) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(cache_key) DO UPDATE SET "
                "owner = excluded.owner, token = excluded.token, "
                "claimed_time = excluded.claimed_time",
                (claim.cache_key, claim.owner, claim.token, claim.claimed_time),
            )

    def release(self, cache_key: str, token: str) -> bool:
        """Drop the claim if it is still this one (a take-over's is left alone)."""
        with self._conn.transaction():
            cursor = self._conn.execute(
                "DELETE FROM cache_claims WHERE cache_key = ? AND token = ?", (cache_key, token)
            )
        return bool(cursor.rowcount)
