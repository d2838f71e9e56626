"""Keep the policy tests' catalogue index out of the user's real cache folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.policy import catalogue


@pytest.fixture(scope="session", autouse=True)
def policy_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private cache folder for the whole session; the index is built once into it."""
    folder = tmp_path_factory.mktemp("policy-cache")
    previous = os.environ.get(catalogue.CACHE_DIR_ENV)
    os.environ[catalogue.CACHE_DIR_ENV] = str(folder)
    catalogue.reset_catalogue()
    yield folder
    catalogue.reset_catalogue()
    if previous is None:
        os.environ.pop(catalogue.CACHE_DIR_ENV, None)
    else:
        os.environ[catalogue.CACHE_DIR_ENV] = previous
