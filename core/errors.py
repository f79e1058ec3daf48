"""Domain errors: one base class, each error with a stable contract code and a Chinese message.

Services raise these; the API turns them into `{"error": {"code", "message"}}` with the status
below, the CLI prints the message and exits 1, pages show it. Nothing else translates errors.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every refusal the system gives a user on purpose."""

    code: ClassVar[str] = "validation_error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class ValidationError(DomainError):
    code = "validation_error"
    status = 400


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class TooManyAttempts(Unauthorized):
    status = 429


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class UnknownProduct(NotFound):
    code = "unknown_product"


class UnknownCard(NotFound):
    code = "unknown_card"


class Conflict(DomainError):
    code = "conflict"
    status = 409


class CardFrozen(DomainError):
    code = "card_frozen"
    status = 422


class BeneficiaryInactive(DomainError):
    code = "beneficiary_inactive"
    status = 422


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    status = 422


class ClothingQuotaExceeded(DomainError):
    code = "clothing_quota_exceeded"
    status = 422


class PaymentMismatch(DomainError):
    code = "payment_mismatch"
    status = 422


ERROR_CODES: tuple[str, ...] = (
    "validation_error",
    "unauthorized",
    "forbidden",
    "not_found",
    "unknown_product",
    "unknown_card",
    "card_frozen",
    "beneficiary_inactive",
    "insufficient_balance",
    "clothing_quota_exceeded",
    "payment_mismatch",
    "conflict",
)
