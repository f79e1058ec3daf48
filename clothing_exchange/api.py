"""The clothing JSON API (blueprint `api`): clothing stock by kind, size and season."""

from __future__ import annotations

from clothing_exchange.schemas import StockAnswer
from clothing_exchange.services.stock import clothing_stock
from core.auth import Role
from core.web import ApiBlueprint, db_session, settings

api = ApiBlueprint("clothing_api", __name__, tag="clothing")


@api.operation(
    "/clothing/stock",
    summary="爱心衣物库存（按种类、尺码、季节）",
    roles=(Role.SUPERVISOR,),
    response=StockAnswer,
)
def api_stock() -> StockAnswer:
    return StockAnswer.of(clothing_stock(db_session(), settings()))
