"""Reading priced by its work, before any network runs: a request over the ceiling is a 413
naming it in units, a client's budget a minute is charged by price (429 with Retry-After when
spent) while another client is still served, and corrections that read pay as readings do."""

import numpy as np
import pytest

from devtools.images import data_url, grey_png, seven_png

pytestmark = pytest.mark.django_db
TEXT, PREDICT, FEEDBACK = "/api/predict-text/", "/api/predict-digit/", "/api/feedback/"


def costly_strip(mnist_test, digits: int = 48) -> bytes:
    """48 MNIST digits overlapping on a 28 px strip: a few KB, hundreds of candidate cuts."""
    strip = np.zeros((28, 15 * digits + 13), np.uint8)
    for k in range(digits):
        np.maximum(strip[:, 15 * k : 15 * k + 28], mnist_test.images[k], out=strip[:, 15 * k : 15 * k + 28])
    return grey_png(strip)


def test_the_costly_strip_is_refused_before_a_network_runs_with_its_price_named(client, mnist_test):
    response = client.post(TEXT, {"image": data_url(costly_strip(mnist_test, 20)), "model": "ensemble"}, format="json")
    body = response.json()
    assert response.status_code == 413 and body["code"] == "too_costly", body
    assert "units" in body["detail"] and "at most 2000" in body["detail"]


def test_a_clients_budget_is_spent_by_price_while_another_client_is_served(client, settings, mnist_test):
    settings.PRICE_BUDGET_PER_MINUTE = 300
    body = {"image": data_url(costly_strip(mnist_test, 6)), "model": "cnn"}  # 87 units: 6 digits' cuts
    statuses = [client.post(TEXT, body, format="json", REMOTE_ADDR="10.0.0.1").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429], statuses  # by price: three fit in 300, not by count
    spent = client.post(TEXT, body, format="json", REMOTE_ADDR="10.0.0.1")
    assert spent.json()["code"] == "price_budget" and int(spent.headers["Retry-After"]) >= 1
    other = client.post(PREDICT, {"image": data_url(seven_png())}, format="json", REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 200  # its own budget
    cheap = client.post(PREDICT, {"image": data_url(seven_png())}, format="json", REMOTE_ADDR="10.0.0.1")
    assert cheap.status_code in (200, 429)  # one unit: it fits the little left, or waits like the rest


def test_a_correction_that_reads_pays_what_a_reading_does(client, settings, mnist_test):
    settings.MAX_REQUEST_PRICE = 50
    body = {"image": data_url(costly_strip(mnist_test, 6)), "model": "ensemble", "true_text": "123456"}
    response = client.post(FEEDBACK, body, format="json")
    assert response.status_code == 413 and response.json()["code"] == "too_costly"
