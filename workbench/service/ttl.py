"""How long a credential lives: requested TTL, defaults and caps, as Vault decides."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.domain.durations import format_duration, parse_duration
from workbench.domain.errors import InvalidInput
from workbench.domain.models import CredentialType, Engine, Role

# AWS's own bounds for STS credentials.
STS_MIN_SECONDS = 900
STS_MAX_SECONDS = {
    CredentialType.ASSUMED_ROLE: 12 * 3600,
    CredentialType.FEDERATION_TOKEN: 36 * 3600,
    CredentialType.SESSION_TOKEN: 36 * 3600,
}


@dataclass(frozen=True)
class TtlDecision:
    ttl: int
    max_ttl: int
    warning: str | None = None


def decide_ttl(engine: Engine, role: Role, requested: str | int | None) -> TtlDecision:
    """The TTL to grant, capped by the role's or engine's maximum, with a warning."""
    wanted = parse_duration(requested, field="ttl") if requested not in (None, "") else None
    if wanted == 0:
        raise InvalidInput(
            "{field:ttl} 0s would expire at once; give a positive duration like 15m", field="ttl"
        )
    if role.credential_type is CredentialType.IAM_USER:
        default, cap = engine.lease_config.lease, engine.lease_config.lease_max
        cap_name = "the engine's lease_max"
    else:
        default = role.default_sts_ttl or engine.lease_config.lease
        cap = role.max_sts_ttl or engine.lease_config.lease_max
        cap_name = "the role's max_sts_ttl" if role.max_sts_ttl else "the engine's lease_max"
        cap = min(cap, STS_MAX_SECONDS[role.credential_type])
    ttl = wanted if wanted is not None else min(default, cap)
    warning = None
    if ttl > cap:
        warning = (
            f"TTL of {format_duration(ttl)} exceeds {cap_name}; capped to {format_duration(cap)}"
        )
        ttl = cap
    if role.credential_type.is_sts and ttl < STS_MIN_SECONDS:
        raise InvalidInput(
            f"{{field:ttl}} of {format_duration(ttl)} is shorter than AWS allows for "
            f"{role.credential_type.value} credentials (15m minimum)",
            field="ttl",
        )
    return TtlDecision(ttl=ttl, max_ttl=cap, warning=warning)
