"""Demo data of the cards package, made through its own services: about forty beneficiaries
with valid resident ID numbers (check digits computed by python-stdnum), a few proxies, a card
each, one suspended person, and the current month's top-up posted."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session
from stdnum.cn import ric

from cards.services import beneficiaries, cards, roster, topup
from cards.services.text import mask_name
from core.auth import Actor
from core.config import Settings
from core.export import Column, Table, Value, csv_bytes
from core.keys import DataKeys
from core.money import Money
from core.periods import Month

NAMES = (
    "张三云 李秀英 王建国 刘桂兰 陈志强 杨玉梅 赵德福 黄丽华 周文明 吴小红 徐春生 孙淑珍 "
    "马国庆 朱凤英 胡永刚 郭秀兰 何建华 高玉兰 林海 罗春梅 郑志明 梁秀云 谢德明 宋桂英 "
    "唐建军 许丽 韩宝山 冯秀珍 邓小平安 曹玉华 彭国强 曾淑英 肖海燕 田志刚 董桂芳 "
    "袁明 潘秀荣 于建民 蒋丽娟 蔡文"
).split()
TOWNS = (
    ("古荥镇", "古荥村"),
    ("花园口镇", "马渡村"),
    ("刘寨街道", "刘寨村"),
    ("长兴路街道", "彩虹社区"),
    ("迎宾路街道", "迎宾路社区"),
    ("新城街道", "开元社区"),
)
REGION = "410108"  # 郑州市惠济区


def demo_id_number(rng: random.Random) -> str:
    """A valid 18-digit resident ID number of someone born 1930-2015."""
    born = date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 85))
    body = f"{REGION}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


ROSTER_FILE_COLUMNS = (
    Column("序号", "integer"),
    *(Column(title) for title in ("姓名", "身份证号", "类别", "镇街", "村社区", "联系电话")),
    Column("家庭人口", "integer"),
)


def demo_roster(count: int = 40, *, seed: int = 2026) -> bytes:
    """A roster file (UTF-8 CSV, the bureau's Chinese headers) of `count` people."""
    rng = random.Random(seed)
    rows: list[tuple[Value, ...]] = []
    seen: set[str] = set()
    for n in range(count):
        number = demo_id_number(rng)
        while number in seen:
            number = demo_id_number(rng)
        seen.add(number)
        town, community = TOWNS[n % len(TOWNS)]
        category = ("低保", "低保", "优抚", "特困")[n % 4]
        rows.append(
            (
                n + 1,
                NAMES[n % len(NAMES)],
                number,
                category,
                town,
                community,
                f"13{rng.randrange(10**9):09d}",
                rng.randint(1, 5),
            )
        )
    return csv_bytes(Table(ROSTER_FILE_COLUMNS, rows), bom=False)


def load(session: Session, settings: Settings, *, keys: DataKeys, at: datetime) -> list[str]:
    """Fill an empty store with sample data; returns lines to print (what was loaded)."""
    actor = Actor.system("demo")
    plan = roster.plan_import(
        session,
        demo_roster(),
        "演示名册.csv",
        keys=keys,
        categories=settings.allowance.categories,
        at=at,
        tz=settings.tz,
    )
    roster.apply_import(
        session, plan, skip_invalid=True, exit_missing=False, at=at, actor=actor, tz=settings.tz
    )
    people = [beneficiaries.find_beneficiary(session, row.id_number, keys=keys) for row in plan.new]
    for person, (name, relation) in zip(
        people[:3], (("张小云", "女儿"), ("李强", "儿子"), ("王芳", "邻居")), strict=True
    ):
        beneficiaries.add_proxy(
            session,
            person.id,
            keys=keys,
            name=name,
            relation=relation,
            phone="13900000000",
            at=at,
            actor=actor,
        )
    issued = cards.issue_all(session, at=at, actor=actor)
    # One person on hold, to show what a terminal answers for a suspended holder.
    suspended = people[-1]
    beneficiaries.change_status(
        session,
        suspended,
        "suspended",
        reason="年度复核中",
        at=at,
        tz=settings.tz,
        actor=actor,
    )
    month = Month.of(at, settings.tz)
    run = topup.prepare_run(session, settings, month, at=at, actor=actor)
    topup.approve_and_post(session, settings, run, at=at, actor=actor, keys=keys)
    lines = [
        f"救助对象：{len(people)} 人，已发卡 {len(issued)} 张；"
        f"{month} 补贴已入账 {run.people} 人，合计 {Money(run.amount_fen).format()}",
        "演示卡号（收银台可输入或扫码）：",
    ]
    for card in issued[:3]:
        holder = card.account.beneficiary
        lines.append(
            f"  {card.card_no}  {mask_name(holder.name)}  {holder.category}  "
            f"余额 {Money(card.account.balance_fen).format()}"
        )
    suspended_card = next(c for c in issued if c.account.beneficiary_id == suspended.id)
    lines.append(f"  {suspended_card.card_no}  （持卡人资格暂停，收银台会拒绝）")
    return lines
