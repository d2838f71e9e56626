"""A static role's user: its access keys, listed, made and deleted one by one."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.aws.clients import AwsClients
from workbench.aws.errors import translate
from workbench.aws.iam_user import IssuedKeys, remove
from workbench.domain.faults import fault_point


@dataclass(frozen=True)
class KeyInfo:
    access_key_id: str
    status: str
    created: float


def list_keys(clients: AwsClients, user_name: str) -> list[KeyInfo]:
    """The user's access keys, oldest first."""
    with translate("ListAccessKeys"):
        found = clients.iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]
    keys = [
        KeyInfo(key["AccessKeyId"], key.get("Status", "Active"), key["CreateDate"].timestamp())
        for key in found
    ]
    return sorted(keys, key=lambda key: key.created)


def create_key(clients: AwsClients, user_name: str) -> IssuedKeys:
    fault_point("static.CreateAccessKey")
    with translate("CreateAccessKey"):
        key = clients.iam.create_access_key(UserName=user_name)["AccessKey"]
    return IssuedKeys(key["AccessKeyId"], key["SecretAccessKey"])


def delete_key(clients: AwsClients, user_name: str, access_key_id: str) -> None:
    """Delete one key; one already gone counts as done."""
    remove(clients.iam.delete_access_key, UserName=user_name, AccessKeyId=access_key_id)
