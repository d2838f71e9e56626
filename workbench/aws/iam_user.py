"""The iam_user credential: create a user with its policies and one key; remove it all.

Issuance runs in a crash-safe order (the lease is stored `pending` before
CreateUser, the key made last, so a crash at any step leaves a user the
lease names and recovery deletes). Revocation cuts access first (the key
deactivated in one call), then deletes what the lease records it made and
the user, sweeping everything real AWS would refuse to delete a user over
only when DeleteUser says something is left; every step is idempotent
(`NoSuchEntity` counts as done).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.aws.clients import AwsClients
from workbench.aws.errors import AwsCallError, error_code, translate
from workbench.domain.faults import fault_point

INLINE_POLICY_NAME = "workbench-policy"


@dataclass(frozen=True)
class IamUserPlan:
    """What to create for one iam_user lease (all decided before any AWS call)."""

    user_name: str
    path: str
    policy_document: str | None
    policy_arns: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    permissions_boundary_arn: str | None = None


@dataclass(frozen=True)
class IssuedKeys:
    """An access key pair as CreateAccessKey returned it."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


def create_user(clients: AwsClients, plan: IamUserPlan) -> IssuedKeys:
    """Create the user, attach and put its policies, join groups, make its key.

    On any failure the caller rolls back with `delete_user` (which tolerates
    whatever was not created yet).
    """
    iam = clients.iam
    create_args: dict[str, Any] = {"UserName": plan.user_name, "Path": plan.path}
    if plan.tags:
        create_args["Tags"] = [{"Key": key, "Value": value} for key, value in plan.tags]
    if plan.permissions_boundary_arn:
        create_args["PermissionsBoundary"] = plan.permissions_boundary_arn
    fault_point("iam.CreateUser")
    try:
        with translate("CreateUser"):
            iam.create_user(**create_args)
    except AwsCallError as error:
        if not (error.code == "EntityAlreadyExists" and error.retry_attempts):
            error.first_step = True  # with error.definite: no user exists to roll back
            raise
        # A retried CreateUser whose first attempt landed (its answer was lost):
        # the user is ours, made with these very arguments.
    for arn in plan.policy_arns:
        fault_point("iam.AttachUserPolicy")
        with translate(f"AttachUserPolicy {arn}"):
            iam.attach_user_policy(UserName=plan.user_name, PolicyArn=arn)
    if plan.policy_document:
        fault_point("iam.PutUserPolicy")
        with translate("PutUserPolicy"):
            iam.put_user_policy(
                UserName=plan.user_name,
                PolicyName=INLINE_POLICY_NAME,
                PolicyDocument=plan.policy_document,
            )
    for group in plan.groups:
        fault_point("iam.AddUserToGroup")
        with translate(f"AddUserToGroup {group}"):
            iam.add_user_to_group(UserName=plan.user_name, GroupName=group)
    fault_point("iam.CreateAccessKey")
    with translate("CreateAccessKey"):
        answer = iam.create_access_key(UserName=plan.user_name)
    key = answer["AccessKey"]
    if answer.get("ResponseMetadata", {}).get("RetryAttempts"):
        # An earlier attempt may have made a key whose answer was lost: one key only.
        _delete_other_keys(clients, plan.user_name, key["AccessKeyId"])
    fault_point("iam.created")
    return IssuedKeys(key["AccessKeyId"], key["SecretAccessKey"])


def _delete_other_keys(clients: AwsClients, user_name: str, keep: str) -> None:
    with translate("ListAccessKeys"):
        keys = clients.iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]
    for key in keys:
        if key["AccessKeyId"] != keep:
            remove(
                clients.iam.delete_access_key, UserName=user_name, AccessKeyId=key["AccessKeyId"]
            )


def put_inline_policy(clients: AwsClients, user_name: str, policy_document: str) -> None:
    """Rewrite the user's inline policy (renew moves the expiry guard)."""
    with translate("PutUserPolicy"):
        clients.iam.put_user_policy(
            UserName=user_name, PolicyName=INLINE_POLICY_NAME, PolicyDocument=policy_document
        )


def _each(call: Callable[..., dict[str, Any]], key: str, **args: Any) -> list[dict[str, Any]]:
    """All items of a list call, or none if the user is already gone."""
    items: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        page = call(**args, **({"Marker": marker} if marker else {}))
        items.extend(page.get(key, []))
        if not page.get("IsTruncated"):
            return items
        marker = page.get("Marker")


def remove(call: Callable[..., Any], **arguments: str) -> None:
    """One deletion; `NoSuchEntity` means it is already gone, which is the goal."""
    action = "".join(part.title() for part in call.__name__.split("_"))
    try:
        with translate(action):
            call(**arguments)
    except AwsCallError as error:
        if error.code != "NoSuchEntity":
            raise


def delete_user(clients: AwsClients, user_name: str) -> bool:
    """Remove the user and everything attached to it; False if it was already gone.

    The rollback of a half-made user: nothing is known of what exists, so it
    sweeps everything before DeleteUser.
    """
    if not user_exists(clients, user_name):
        return False
    for attempt in range(2):
        strip_user(clients, user_name)
        fault_point("iam.revoke.DeleteUser")
        try:
            remove(clients.iam.delete_user, UserName=user_name)
        except AwsCallError as error:
            # Something was attached meanwhile (a renew rewriting the policy):
            # strip once more, then give up and let the retry schedule handle it.
            if error.code != "DeleteConflict" or attempt:
                raise
            continue
        return True
    return True


def strip_user(clients: AwsClients, user_name: str) -> None:
    """Delete everything AWS refuses to delete a user over."""
    iam = clients.iam
    user = {"UserName": user_name}

    def listing(action: str, call: Callable[..., dict[str, Any]], key: str) -> list[Any]:
        try:
            with translate(action):
                return _each(call, key, **user)
        except AwsCallError as error:
            if error.code == "NoSuchEntity":
                return []
            raise

    fault_point("iam.revoke.DeleteAccessKey")
    for key in listing("ListAccessKeys", iam.list_access_keys, "AccessKeyMetadata"):
        remove(iam.delete_access_key, **user, AccessKeyId=key["AccessKeyId"])
    remove(iam.delete_login_profile, **user)
    for device in listing("ListMFADevices", iam.list_mfa_devices, "MFADevices"):
        serial = device["SerialNumber"]
        remove(iam.deactivate_mfa_device, **user, SerialNumber=serial)
        if ":mfa/" in serial:
            remove(iam.delete_virtual_mfa_device, SerialNumber=serial)
    for cert in listing("ListSigningCertificates", iam.list_signing_certificates, "Certificates"):
        remove(iam.delete_signing_certificate, **user, CertificateId=cert["CertificateId"])
    for ssh in listing("ListSSHPublicKeys", iam.list_ssh_public_keys, "SSHPublicKeys"):
        remove(iam.delete_ssh_public_key, **user, SSHPublicKeyId=ssh["SSHPublicKeyId"])
    for cred in _service_credentials(clients, user_name):
        remove(
            iam.delete_service_specific_credential,
            **user,
            ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"],
        )
    fault_point("iam.revoke.DeleteUserPolicy")
    for name in listing("ListUserPolicies", iam.list_user_policies, "PolicyNames"):
        remove(iam.delete_user_policy, **user, PolicyName=name)
    for policy in listing(
        "ListAttachedUserPolicies", iam.list_attached_user_policies, "AttachedPolicies"
    ):
        remove(iam.detach_user_policy, **user, PolicyArn=policy["PolicyArn"])
    for group in listing("ListGroupsForUser", iam.list_groups_for_user, "Groups"):
        remove(iam.remove_user_from_group, **user, GroupName=group["GroupName"])


def _service_credentials(clients: AwsClients, user_name: str) -> list[dict[str, Any]]:
    """Service-specific credentials; an endpoint that lacks the call has none.

    Until the endpoint has answered it once, the call goes out unretried first
    (moto lacks it: one request, not a retried one), then, after a passing
    fault, through the retrying client.
    """
    action = "ListServiceSpecificCredentials"
    if action in clients.unsupported:
        return []
    attempts = (
        [clients.iam]
        if action in clients.supported
        else [
            clients.client("iam-once"),
            clients.iam,
        ]
    )
    for number, client in enumerate(attempts, start=1):
        try:
            with translate(action):
                page = client.list_service_specific_credentials(UserName=user_name)
        except AwsCallError as error:
            if error.code in {"NotImplemented", "InvalidAction", "ResponseParserError"}:
                clients.unsupported.add(action)
                return []
            if error.code == "NoSuchEntity":
                return []
            if number == len(attempts):
                raise
            continue
        clients.supported.add(action)
        return list(page.get("ServiceSpecificCredentials", []))
    return []


def list_users(clients: AwsClients, path_prefix: str) -> list[dict[str, Any]]:
    """IAM users under a path, with their tags (for reconcile and the IAM view)."""
    iam = clients.iam
    users: list[dict[str, Any]] = []
    with translate("ListUsers"):
        for page in iam.get_paginator("list_users").paginate(PathPrefix=path_prefix):
            users.extend(page.get("Users", []))
    return users


def user_tags(clients: AwsClients, user_name: str) -> dict[str, str]:
    """A user's tags ({} if the user is gone meanwhile)."""
    tags: dict[str, str] = {}
    try:
        with translate("ListUserTags"):
            for page in clients.iam.get_paginator("list_user_tags").paginate(UserName=user_name):
                tags.update({tag["Key"]: tag["Value"] for tag in page.get("Tags", [])})
    except AwsCallError as error:
        if error.code == "NoSuchEntity":
            return {}
        raise
    return tags


def user_exists(clients: AwsClients, user_name: str) -> bool:
    """Whether IAM has a user of that name."""
    try:
        with translate("GetUser"):
            clients.iam.get_user(UserName=user_name)
    except AwsCallError as error:
        if error.code == "NoSuchEntity":
            return False
        raise
    return True


def describe_user(clients: AwsClients, user_name: str) -> dict[str, Any] | None:
    """What IAM holds for a user (keys, policies, groups, tags), or None if absent."""
    iam = clients.iam
    try:
        with translate("GetUser"):
            user = iam.get_user(UserName=user_name)["User"]
    except AwsCallError as error:
        if error.code == "NoSuchEntity":
            return None
        raise
    with translate("describe user"):
        policies = {
            name: iam.get_user_policy(UserName=user_name, PolicyName=name)["PolicyDocument"]
            for name in iam.list_user_policies(UserName=user_name)["PolicyNames"]
        }
        return {
            "path": user["Path"],
            "tags": {t["Key"]: t["Value"] for t in user.get("Tags", [])},
            "access_keys": [
                k["AccessKeyId"]
                for k in iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]
            ],
            "attached_policies": sorted(
                p["PolicyArn"]
                for p in iam.list_attached_user_policies(UserName=user_name)["AttachedPolicies"]
            ),
            "groups": sorted(
                g["GroupName"] for g in iam.list_groups_for_user(UserName=user_name)["Groups"]
            ),
            "inline_policies": {
                name: doc if isinstance(doc, dict) else json.loads(doc)
                for name, doc in policies.items()
            },
        }


__all__ = [
    "INLINE_POLICY_NAME",
    "IamUserPlan",
    "IssuedKeys",
    "create_user",
    "delete_user",
    "describe_user",
    "error_code",
    "list_users",
    "put_inline_policy",
    "user_exists",
    "user_tags",
]
