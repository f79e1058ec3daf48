"""Domain errors: one base class, each error with a stable contract code and a Chinese message.

Services raise these; the API turns them into `{"error": {"code", "message"}}` (the web layer,
`core.web.status_for`, picks the HTTP status from the code), the CLI prints the message and exits
1, pages show it. Nothing else translates errors.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every refusal the system gives a user on purpose."""

    code: ClassVar[str] = "validation_error"

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


class Unauthorized(DomainError):
    code = "unauthorized"


class TooManyAttempts(Unauthorized):
    """Sign-in refused for a while after repeated failures (`details["retry_after"]` seconds)."""


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class UnknownProduct(NotFound):
    code = "unknown_product"


class UnknownCard(NotFound):
    code = "unknown_card"


class Conflict(DomainError):
    code = "conflict"


class CardFrozen(DomainError):
    code = "card_frozen"


class BeneficiaryInactive(DomainError):
    code = "beneficiary_inactive"


class InsufficientBalance(DomainError):
    code = "insufficient_balance"


class ClothingQuotaExceeded(DomainError):
    code = "clothing_quota_exceeded"


class PaymentMismatch(DomainError):
    code = "payment_mismatch"


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
