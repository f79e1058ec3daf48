"""Command line of the clothing exchange: 衣暖人心 intake."""

from __future__ import annotations

import click

from core.cli import not_built

clothing = click.Group("clothing", help="衣暖人心衣物：入库")
clothing.add_command(not_built("intake", "issue [7]"))
