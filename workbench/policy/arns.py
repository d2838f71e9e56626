"""Resource and NotResource: ARN shape, partition, service, Region and account."""

from __future__ import annotations

import re

from workbench.policy.actions import redundant_entries
from workbench.policy.catalogue import ArnShape
from workbench.policy.context import Context, Entry, Statement, did_you_mean
from workbench.policy.findings import show
from workbench.policy.variables import check_variables

PARTITIONS = (
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
)
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
_ACCOUNT = re.compile(r"[0-9]{12}|aws")
_OPEN = re.compile(r"[*?]|\$\{")


def check_resources(statement: Statement, ctx: Context) -> None:
    for entry in statement.resources:
        check_resource(entry, ctx)
    if len(statement.resources) > 1:
        for entry, other in redundant_entries(statement.resources, ignore_case=False):
            ctx.report.suggestion(
                "REDUNDANT_RESOURCE",
                f"{show(entry.value)} is already covered by {show(other.value)}; remove it.",
                entry.start,
                entry.path,
            )


def check_resource(entry: Entry, ctx: Context) -> None:
    value = entry.value
    if value == "*":
        return
    if "${" in value:
        check_variables(value, entry.start, entry.path, ctx)
    if not value.startswith("arn:"):
        ctx.report.error(
            "INVALID_ARN_PREFIX",
            f'{show(value)} is not an ARN; a resource is "*" or an ARN such as '
            '"arn:aws:s3:::my-bucket/*".',
            entry.start,
            entry.path,
        )
        return
    parts = value.split(":", 5)
    if len(parts) < 6:
        ctx.report.error(
            "MISSING_ARN_FIELD",
            f"{show(value)} has {len(parts)} of the 6 ARN fields "
            "(arn:partition:service:region:account:resource); empty fields still need their "
            "colons.",
            entry.start,
            entry.path,
        )
        return
    _, partition, service, region, account, resource = parts

    def at(field_index: int) -> int:
        index = sum(len(part) + 1 for part in parts[:field_index])
        return ctx.offset_in_string(entry.start, value, index)

    if partition not in PARTITIONS and not _OPEN.search(partition):
        ctx.report.error(
            "INVALID_PARTITION",
            f"{show(partition)} is not an AWS partition; use aws (or aws-cn, aws-us-gov, ...).",
            at(1),
            entry.path,
        )
    if not resource:
        ctx.report.error(
            "INVALID_ARN_RESOURCE",
            f'{show(value)} has an empty resource part; name the resource or use "*".',
            entry.start,
            entry.path,
        )
    if _OPEN.search(service):
        return
    if not service:
        ctx.report.error(
            "MISSING_ARN_FIELD", "The ARN's service field is empty.", at(2), entry.path
        )
        return
    catalogue = ctx.catalogue
    if catalogue.problem:
        return
    shapes = catalogue.arn_shapes.get(service.lower())
    if service != service.lower() and (shapes or catalogue.service(service)):
        ctx.report.error(
            "INVALID_ARN_SERVICE_CASE",
            f"ARN service names are lower-case: write {service.lower()!r}, not {service!r}.",
            at(2),
            entry.path,
        )
        return
    if shapes is None and catalogue.service(service) is None:
        known = set(catalogue.arn_shapes) | set(catalogue.services)
        ctx.report.error(
            "INVALID_SERVICE",
            f"{show(service)} is not an AWS service, so this ARN matches nothing."
            f"{did_you_mean(service, known)}",
            at(2),
            entry.path,
        )
        return
    if region and not _OPEN.search(region) and _REGION.fullmatch(region) is None:
        ctx.report.error(
            "INVALID_ARN_REGION",
            f"{show(region)} is not a Region code such as us-east-1.",
            at(3),
            entry.path,
        )
    if account and not _OPEN.search(account) and _ACCOUNT.fullmatch(account) is None:
        ctx.report.error(
            "INVALID_ARN_ACCOUNT",
            f"{show(account)} is not an account ID; use the 12-digit ID without hyphens.",
            at(4),
            entry.path,
        )
    candidates = _shapes_for(shapes or [], resource)
    if not candidates:
        return
    if region and not any(shape.has_region for shape in candidates):
        ctx.report.error(
            "ARN_REGION_NOT_ALLOWED",
            f"{service} ARNs of this kind have no Region; leave the field empty "
            f"(arn:{partition}:{service}::...).",
            at(3),
            entry.path,
        )
    elif not region and all(shape.has_region for shape in candidates):
        ctx.report.error(
            "MISSING_ARN_REGION",
            f'{service} ARNs of this kind include a Region; add one, or "*" for any.',
            at(3) - 1,
            entry.path,
        )
    if account and not any(shape.has_account for shape in candidates):
        ctx.report.error(
            "ARN_ACCOUNT_NOT_ALLOWED",
            f"{service} ARNs of this kind have no account ID; leave the field empty "
            f"(e.g. arn:{partition}:{service}:::{resource}).",
            at(4),
            entry.path,
        )


def _shapes_for(shapes: list[ArnShape], resource: str) -> list[ArnShape]:
    """The catalogue shapes whose literal start best fits this resource part."""
    lower = resource.lower()
    fitting = [shape for shape in shapes if lower.startswith(shape.resource_prefix)]
    if not fitting:
        return []
    longest = max(len(shape.resource_prefix) for shape in fitting)
    return [shape for shape in fitting if len(shape.resource_prefix) == longest]
