"""iam_user revocation: the key dead in one call, then only what the lease made.

The first call deactivates the key (AWS refuses it from then on); the rest
deletes exactly what the lease records issuing made, then the user. Only if
DeleteUser answers DeleteConflict (something else was attached, or the lease
records nothing) does it sweep everything AWS refuses to delete a user
over. Every step is idempotent (`NoSuchEntity` counts as done).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.aws.clients import AwsClients
from workbench.aws.errors import AwsCallError
from workbench.aws.iam_user import INLINE_POLICY_NAME, IamUserPlan, remove, strip_user
from workbench.domain.faults import fault_point


def created_record(plan: IamUserPlan) -> dict[str, Any]:
    """What issuing makes besides the user and its key, as the lease records it."""
    return {
        "inline_policy": bool(plan.policy_document),
        "policy_arns": list(plan.policy_arns),
        "groups": list(plan.groups),
    }


@dataclass
class UserRevocation:
    """How an iam_user revocation went: which path, which calls, when the key died."""

    path: str = "minimal"
    calls: list[str] = field(default_factory=list)
    key_inactive_time: float | None = None
    reason: str | None = None

    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"path": self.path, "calls": list(self.calls)}
        if self.key_inactive_time is not None:
            record["key_inactive_time"] = self.key_inactive_time
        if self.reason:
            record["reason"] = self.reason
        return record


def revoke_user(
    clients: AwsClients,
    user_name: str,
    access_key_id: str | None,
    created: dict[str, Any] | None,
    *,
    clock: Callable[[], float],
    outcome: UserRevocation | None = None,
) -> UserRevocation:
    """Cut access with one call, then delete what the lease made, then the user.

    The first call deactivates the key (AWS refuses it from then on); the
    rest deletes exactly what `created` records. Only if DeleteUser answers
    DeleteConflict (something else was attached, or the lease records
    nothing) does it sweep everything AWS refuses to delete a user over.
    `outcome` is filled in as it goes, so a failure part-way still tells
    whether the key is dead; one whose key_inactive_time is set (the key was
    made Inactive already, by the revoker's first pass or a containment)
    skips that call.
    """
    iam = clients.iam
    done = outcome if outcome is not None else UserRevocation()
    user = {"UserName": user_name}

    def call(method: Callable[..., Any], **arguments: str) -> None:
        done.calls.append("".join(part.title() for part in method.__name__.split("_")))
        remove(method, **arguments)

    if access_key_id and done.key_inactive_time is None:
        fault_point("iam.revoke.UpdateAccessKey")
        call(iam.update_access_key, **user, AccessKeyId=access_key_id, Status="Inactive")
        done.key_inactive_time = clock()
    if created is None:
        done.reason = "the lease does not record what issuing made"
        _sweep_and_delete(clients, user_name, done)
        return done
    fault_point("iam.revoke.DeleteAccessKey")
    if access_key_id:
        call(iam.delete_access_key, **user, AccessKeyId=access_key_id)
    fault_point("iam.revoke.DeleteUserPolicy")
    if created.get("inline_policy"):
        call(iam.delete_user_policy, **user, PolicyName=INLINE_POLICY_NAME)
    for arn in created.get("policy_arns") or ():
        call(iam.detach_user_policy, **user, PolicyArn=str(arn))
    for group in created.get("groups") or ():
        call(iam.remove_user_from_group, **user, GroupName=str(group))
    fault_point("iam.revoke.DeleteUser")
    try:
        call(iam.delete_user, **user)
    except AwsCallError as error:
        if error.code != "DeleteConflict":
            raise
        done.reason = "DeleteUser answered DeleteConflict"
        _sweep_and_delete(clients, user_name, done)
    return done


def _sweep_and_delete(clients: AwsClients, user_name: str, done: UserRevocation) -> None:
    done.path = "full sweep"
    done.calls.append("(full sweep)")
    strip_user(clients, user_name)
    fault_point("iam.revoke.DeleteUser")
    done.calls.append("DeleteUser")
    remove(clients.iam.delete_user, UserName=user_name)


def deactivate_key(clients: AwsClients, user_name: str, access_key_id: str | None) -> None:
    """UpdateAccessKey Status=Inactive: AWS refuses the key from then on (gone counts as done)."""
    if access_key_id:
        remove(
            clients.iam.update_access_key,
            UserName=user_name,
            AccessKeyId=access_key_id,
            Status="Inactive",
        )
