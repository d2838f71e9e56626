"""`wb.operators`: who can unlock the store, each with a passphrase of their own.

Every change is audited (the passphrase only as its HMAC). Removing an
operator re-encrypts every secret under a new data key: their copy of the
old key opens nothing written after.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.domain.passphrase import check_new_passphrase
from workbench.service.context import ServiceContext
from workbench.store import KdfParams


@dataclass(frozen=True)
class OperatorView:
    """An operator as `operator list` shows them (nothing secret)."""

    name: str
    created_time: float
    created_by: str | None
    is_me: bool


class Operators:
    """List, add and remove operators (key slots), audited."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    @property
    def me(self) -> str:
        """The operator whose key slot unlocked this store."""
        return self._ctx.store.operator

    def list(self) -> list[OperatorView]:
        return [
            OperatorView(
                slot.operator, slot.created_time, slot.created_by, slot.operator == self.me
            )
            for slot in self._ctx.store.operators()
        ]

    def add(self, name: str, passphrase: str, *, kdf: KdfParams | None = None) -> OperatorView:
        """A key slot for `name`, sealed under their own passphrase."""
        check_new_passphrase(passphrase)
        data = {"operator": name, "passphrase": passphrase}
        with self._ctx.audit.operation("create", f"sys/operators/{name}", data):
            slot = self._ctx.store.add_operator(name, passphrase, now=self._ctx.clock(), kdf=kdf)
        return OperatorView(slot.operator, slot.created_time, slot.created_by, False)

    def remove(self, name: str) -> int:
        """Remove `name`'s slot; every secret re-encrypted under a new data key (how many)."""
        with self._ctx.audit.operation("delete", f"sys/operators/{name}", {"operator": name}) as op:
            resealed = self._ctx.store.remove_operator(name)
            op.respond({"resealed": resealed})
        return resealed
