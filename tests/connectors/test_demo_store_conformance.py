import pytest

from connectors.demo import MemoryDemoStore
from connectors.demo.conformance import CHECKS


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_memory_store_meets_the_demo_store_contract(check):
    check(MemoryDemoStore)
