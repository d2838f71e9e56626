"""Where moto's authorization differs from AWS in what revocation relies on, make it AWS's.

With authorization on, moto 5 (a) accepts an access key that was made
Inactive, (b) treats a statement whose conditions do not hold as a Deny (so
a `Deny *` scoped to one session denies every session), and (c) knows no
global condition keys (`aws:userid`, `aws:TokenIssueTime`, `aws:CurrentTime`)
and evaluates only StringEquals. The embedded account is where trainees see
a revoked credential refused, so it follows AWS here: an inactive key is
refused with InvalidClientTokenId, a statement whose condition does not
hold does not apply, and the common operators are evaluated against the
request's context as IAM documents them. Installed once per process, by
EmbeddedAws.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from datetime import UTC, datetime
from typing import Any

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        _patch()
        _installed = True


def _patch() -> None:
    from moto.iam import access_control as ac
    from moto.sts import models as sts_models

    original_user_key = ac.IAMUserAccessKey.__init__

    def user_key_init(self: Any, account_id: str, partition: str, access_key_id: str,
                      headers: dict[str, str]) -> None:  # fmt: skip
        original_user_key(self, account_id, partition, access_key_id, headers)
        for user in self.backend.list_users("/", None, None):
            for key in user.access_keys:
                if key.access_key_id == access_key_id:
                    self._user_id = user.id
                    if key.status != "Active":
                        raise ac.CreateAccessKeyFailure(reason="InvalidId")

    original_assumed = sts_models.AssumedRole.__init__

    def assumed_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_assumed(self, *args, **kwargs)
        self.issued_at = time.time()

    def check_action_permitted(self: Any, resource: str) -> None:
        if self._action == "sts:GetCallerIdentity":  # AWS never denies it
            return
        context = _context(self, sts_models)
        permitted = False
        for policy in self._access_key.collect_policies():
            result = ac.IAMPolicy(policy).is_action_permitted(
                self._action, resource, incoming_condition_values=context
            )
            if result == ac.PermissionResult.DENIED:
                self._raise_access_denied()
            permitted = permitted or result == ac.PermissionResult.PERMITTED
        if self._is_assuming_role_operation(resource):
            permitted = permitted and self._check_role_trust_relationship(resource)
        if not permitted:
            self._raise_access_denied()

    original_statement = ac.IAMPolicyStatement.is_action_permitted

    def statement_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        condition = self._statement.get("Condition")
        context = {k.lower(): v for k, v in (incoming_condition_values or {}).items()}
        if condition and not _holds(condition, context):
            return ac.PermissionResult.NEUTRAL  # AWS: the statement does not apply
        return original_statement(self, action, resource, principal, None)

    ac.IAMUserAccessKey.__init__ = user_key_init  # type: ignore[method-assign]
    sts_models.AssumedRole.__init__ = assumed_init  # type: ignore[method-assign]
    ac.IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]
    ac.IAMPolicyStatement.is_action_permitted = statement_permitted  # type: ignore[method-assign]


def _context(request: Any, sts_models: Any) -> dict[str, str]:
    """The global condition keys AWS sets on a request, as far as revocation needs them."""
    now = time.time()
    context = {
        "aws:currenttime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:epochtime": str(int(now)),
    }
    data = getattr(request, "_data", {}) or {}
    if "ExternalId" in data:
        context["sts:externalid"] = data["ExternalId"][0]
    key = request._access_key
    user_id = getattr(key, "_user_id", None)
    if user_id:
        context["aws:userid"] = user_id
        context["aws:username"] = getattr(key, "_owner_user_name", "")
        return context
    for role in sts_models.sts_backends[request.account_id][key.partition].assumed_roles:
        if role.access_key_id == key._access_key_id:
            context["aws:userid"] = role.user_id
            issued = getattr(role, "issued_at", None)
            if issued is not None:
                context["aws:tokenissuetime"] = datetime.fromtimestamp(issued, UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                )
    return context


def _holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """IAM's condition evaluation: every operator, every key, any of the values."""
    for operator, pairs in condition.items():
        if not isinstance(pairs, dict):
            continue
        if_exists = operator.endswith("IfExists")
        base = operator.removesuffix("IfExists")
        for key, expected in pairs.items():
            values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            actual = context.get(str(key).lower())
            if base == "Null":
                if (actual is None) != (values[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if if_exists or base.startswith(("StringNot", "ArnNot")):
                    continue
                return False
            verdict = _compare(base, actual, values)
            if verdict is not None and not verdict:
                return False
    return True


def _compare(base: str, actual: str, values: list[str]) -> bool | None:
    """Whether `actual` meets the operator for the values; None for an unknown operator."""
    negated = "Not" in base
    kind = base.replace("Not", "")
    if kind in ("StringEquals", "ArnEquals"):
        matched = actual in values
    elif kind == "StringEqualsIgnoreCase":
        matched = actual.lower() in (v.lower() for v in values)
    elif kind in ("StringLike", "ArnLike"):
        matched = any(fnmatch.fnmatchcase(actual, v) for v in values)
    elif kind.startswith("Date"):
        moment = _when(actual)
        matched = any(_order(kind.removeprefix("Date"), moment, _when(v)) for v in values)
    elif kind.startswith("Numeric"):
        matched = any(_order(kind.removeprefix("Numeric"), float(actual), float(v)) for v in values)
    elif kind == "Bool":
        matched = actual.lower() in (v.lower() for v in values)
    else:
        return None  # moto's own behaviour for the rest: the condition holds
    return not matched if negated else matched


def _order(relation: str, actual: float, expected: float) -> bool:
    return {
        "Equals": actual == expected,
        "LessThan": actual < expected,
        "LessThanEquals": actual <= expected,
        "GreaterThan": actual > expected,
        "GreaterThanEquals": actual >= expected,
    }.get(relation, False)


def _when(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
