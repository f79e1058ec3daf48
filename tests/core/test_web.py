"""The web layer's one mapping from a domain error to its HTTP status."""

import pytest
from flask import Flask

from core import errors
from core.errors import ERROR_CODES, DomainError
from core.web import STATUS_BY_CODE, error_response, status_for


def test_every_contract_code_has_a_client_error_status() -> None:
    assert set(STATUS_BY_CODE) == set(ERROR_CODES)
    assert all(400 <= status < 500 for status in STATUS_BY_CODE.values())


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.ValidationError("x"), 400),
        (errors.Unauthorized("x"), 401),
        (errors.TooManyAttempts("x", retry_after=30), 429),
        (errors.Forbidden("x"), 403),
        (errors.NotFound("x"), 404),
        (errors.UnknownProduct("x"), 404),
        (errors.UnknownCard("x"), 404),
        (errors.Conflict("x"), 409),
        (errors.CardFrozen("x"), 422),
        (errors.BeneficiaryInactive("x"), 422),
        (errors.InsufficientBalance("x"), 422),
        (errors.ClothingQuotaExceeded("x"), 422),
        (errors.PaymentMismatch("x"), 422),
        (DomainError("x"), 400),
    ],
)
def test_status_for(error: DomainError, status: int) -> None:
    assert status_for(error) == status
    assert not hasattr(error, "status")  # errors carry their code only


def test_error_response_headers() -> None:
    with Flask(__name__).test_request_context():
        locked = error_response(errors.TooManyAttempts("稍后再试", retry_after=30))
        assert locked.status_code == 429
        assert locked.headers["Retry-After"] == "30"
        assert locked.get_json()["error"]["code"] == "unauthorized"
        signed_out = error_response(errors.Unauthorized("需要登录"))
        assert signed_out.headers["WWW-Authenticate"].startswith("Bearer")
