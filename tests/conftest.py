"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from bot.policy import PolicyBundle, load_policy_file
from bot.rules import Engine


@pytest.fixture(scope="session")
def shipped() -> PolicyBundle:
    """The shipped policy and lists from data/."""
    return load_policy_file()


@pytest.fixture(scope="session")
def engine(shipped: PolicyBundle) -> Engine:
    """An engine over the shipped lists."""
    return Engine(shipped.lists)
