"""Command line of the cards package: beneficiaries, cards, top-ups, ledger, fund report."""

from __future__ import annotations

import click

from core.cli import not_built

beneficiaries = click.Group("beneficiaries", help="救助对象名册：导入、状态变更")
beneficiaries.add_command(not_built("import", "issue [2]"))
beneficiaries.add_command(not_built("set-status", "issue [2]"))

cards = click.Group("cards", help="慈善购物卡：发卡、挂失、补卡、列表")
for _name in ("issue", "list", "freeze", "replace"):
    cards.add_command(not_built(_name, "issue [2]"))

topup = not_built("topup", "issue [3]")
topup.help = "按月为符合条件的账户充值（尚未实现：issue [3]）"
expire = not_built("expire", "issue [3]")
fund_report = not_built("fund", "issue [3]")
