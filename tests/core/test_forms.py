"""The one form reader: what of a posted form reaches the model, and the Chinese refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import Field, ValidationInfo, field_validator
from werkzeug.datastructures import MultiDict

from core.errors import ValidationError
from core.fields import Amount, Quantity
from core.forms import FormModel, form_fields, read_form, read_input
from core.money import Money
from core.web import ApiModel


class Proxy(FormModel):
    name: str = ""
    relation: str = "亲属"
    phone: str | None = None
    qty: Quantity
    count: int = 0


class Receipt(ApiModel):  # an API model (unknown fields refused) read by a page too
    qty: Quantity
    unit_cost: Amount | None = None
    reason: str = Field(default="入库", title="原因")
    supplier: str | None = Field(default=None, max_length=4, title="供应商")


def test_text_is_trimmed_and_unknown_fields_ignored() -> None:
    form = read_form(Proxy, {"name": " 李四 ", "qty": "2", "csrf_token": "t", "action": "save"})
    assert form.name == "李四"
    assert form.qty == Decimal(2)
    assert form.relation == "亲属"


def test_a_blank_field_takes_its_default_none_when_optional() -> None:
    posted = MultiDict(
        [("name", "  "), ("relation", ""), ("phone", " "), ("qty", "1"), ("qty", "9")]
    )
    assert form_fields(Proxy, posted) == {"qty": "1"}  # the first value of a repeated field
    form = read_form(Proxy, posted)
    assert (form.name, form.relation, form.phone, form.qty) == ("", "亲属", None, Decimal(1))


def test_a_blank_required_field_is_named_by_its_own_parser() -> None:
    with pytest.raises(ValidationError) as refused:
        read_form(Proxy, {"qty": " "})
    assert refused.value.message.startswith("数量")


def test_an_api_model_reads_a_page_form() -> None:
    receipt = read_form(
        Receipt, {"qty": "2.5", "unit_cost": "", "supplier": "", "csrf_token": "t", "x": "y"}
    )
    assert receipt.qty == Decimal("2.5")
    assert receipt.unit_cost is None and receipt.supplier is None and receipt.reason == "入库"
    assert read_form(Receipt, {"qty": "1", "unit_cost": "4.00"}).unit_cost == Money(400)


def test_refusals_name_the_field_in_chinese() -> None:
    with pytest.raises(ValidationError) as refused:
        read_form(Proxy, {"qty": "1", "count": "x"})
    assert refused.value.message == "字段 count：应为整数"
    with pytest.raises(ValidationError) as refused:
        read_form(Proxy, {"qty": "-1"})
    assert refused.value.message.startswith("数量应大于 0")  # the parser's own words
    with pytest.raises(ValidationError) as refused:
        read_input(Receipt, {"qty": "1", "supplier": "很长的名字"}, where="第 2 行：")
    assert refused.value.message == "第 2 行：供应商：太长（最多 4 个）"  # its title
    with pytest.raises(ValidationError) as refused:
        read_input(Receipt, {"qty": "1", "extra": "x"})
    assert refused.value.message == "字段 extra：不认识的字段"  # read_input passes all


class Choice(FormModel):
    kind: str = ""

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str, info: ValidationInfo) -> str:
        kinds = (info.context or {}).get("kinds", ())
        if value not in kinds:
            raise ValueError(f"未知种类 {value}")
        return value


def test_the_context_reaches_the_validators() -> None:
    assert read_form(Choice, {"kind": "鞋"}, context={"kinds": ("鞋",)}).kind == "鞋"
    with pytest.raises(ValidationError) as refused:
        read_form(Choice, {"kind": "帽"}, context={"kinds": ("鞋",)})
    assert refused.value.message == "未知种类 帽"
