"""Command line of the inventory package: catalog import."""

from __future__ import annotations

import click

from core.cli import not_built

products = click.Group("products", help="商品目录：导入")
products.add_command(not_built("import", "issue [4]"))
