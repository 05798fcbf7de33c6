import numpy as np
import pytest
from rest_framework.test import APIClient

from model_core.data.datasets import load_mnist


@pytest.fixture(scope="session")
def mnist_train():
    return load_mnist("train")


@pytest.fixture(scope="session")
def mnist_test():
    return load_mnist("test")


@pytest.fixture(scope="session")
def small_split(mnist_train):
    """3,000 training and 1,000 validation images: enough for a network to visibly learn."""
    rng = np.random.default_rng(0)
    order = rng.permutation(len(mnist_train))
    return mnist_train.subset(order[:3000]), mnist_train.subset(order[3000:4000])


TOKEN = "test-read-token"  # the corrections' read token the in-process API is given


@pytest.fixture
def client(settings):
    """DRF's test client against the in-process API, which reads corrections with TOKEN."""
    settings.FEEDBACK_READ_TOKEN = TOKEN
    return APIClient()


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Every test starts with no request counted against any client (in-process counts)."""
    from backend.common.throttling import LocalLog, store

    counts = store()
    if isinstance(counts, LocalLog):
        counts.clear()
    yield
