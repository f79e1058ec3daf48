from decimal import Decimal
from pathlib import Path

import pytest

from core.config import ConfigError, Settings, UnknownConfigKey, load_settings, section_keys
from core.money import Money

ROOT = Path(__file__).parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_contract() -> None:
    s = Settings()
    assert s.store.timezone == "Asia/Shanghai"
    assert s.store.public_sales is True
    assert s.database.url == "sqlite:///var/charity.db"
    assert s.discount.min_rate == Decimal("0.05") and s.discount.max_rate == Decimal("0.10")
    assert s.allowance.monthly == Money(5000)
    assert s.allowance.unspent == "carry_over" and s.allowance.approval == "single"
    assert s.inventory.block_negative is False
    assert s.clothing.items_per_quarter == 1 and s.clothing.events_count is False
    assert s.printer.kind == "none" and s.printer.paper_width_mm == 80
    assert s.printer.encoding == "gb18030" and s.printer.qr == "native"
    assert s.balance_page.pin is False


def test_shipped_config_file_loads_with_every_key(recwarn: pytest.WarningsRecorder) -> None:
    s = load_settings(ROOT / "config.toml", environ={})
    assert s.store.name == "惠济区慈善超市"
    assert s.allowance.amount_for("低保") == Money(5000)
    assert not [w for w in recwarn if issubclass(w.category, UnknownConfigKey)]
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for section, keys in section_keys().items():
        assert f"[{section}]" in text
        for key in keys:
            assert key in text, f"config.toml does not show {section}.{key}"


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('[discount]\nmin_rate = "five"', "discount.min_rate"),
        ('[store]\ntimezone = "Asia/Nowhere"', "store.timezone"),
        ('[printer]\nkind = "laser"', "printer.kind"),
        ("[printer]\npaper_width_mm = 57", "printer.paper_width_mm"),
        ('[allowance]\nmonthly = "50.001"', "allowance.monthly"),
        ("[allowance]\nmonthly = 50.5", "allowance.monthly"),
        ('[allowance]\nunspent = "keep"', "allowance.unspent"),
        ('[store]\npublic_sales = "yes"', "store.public_sales"),
        ('[discount]\ndefault_rate = "0.20"', "discount.default_rate"),
        ('[database]\nurl = "mysql://x"', "database.url"),
        ('[allowance.by_category]\n"低保" = "abc"', "allowance.by_category.低保"),
    ],
)
def test_wrong_values_name_the_key(tmp_path: Path, toml: str, named: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, toml), environ={})
    assert named in str(info.value)


def test_unknown_keys_warn_but_load(tmp_path: Path) -> None:
    with pytest.warns(UnknownConfigKey, match="store.colour"):
        s = load_settings(write(tmp_path, '[store]\ncolour = "red"\nname = "测试店"'), environ={})
    assert s.store.name == "测试店"


def test_environment_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///a.db"')
    s = load_settings(
        environ={
            "CHARITY_CONFIG": str(path),
            "CHARITY_DATABASE_URL": "sqlite:///b.db",
            "CHARITY_SECRET_KEY": "k",
        }
    )
    assert s.database.url == "sqlite:///b.db"
    assert s.security.secret_key == "k"


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="不存在"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_broken_toml_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="格式错误"):
        load_settings(write(tmp_path, "[store\nname="), environ={})


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.store.name = "x"  # type: ignore[misc]


def test_readme_lists_every_config_key() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for section, keys in section_keys().items():
        row = next(
            (line for line in readme.splitlines() if line.startswith(f"| `[{section}]`")), ""
        )
        assert row, f"README has no row for [{section}]"
        for key in keys:
            assert f"`{key}`" in row or f"[{section}.{key}]" in row, (
                f"README misses {section}.{key}"
            )


DATA_KEY = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="  # base64 of 32 bytes


def test_new_contract_keys_have_defaults() -> None:
    s = Settings()
    assert s.security.data_key == ""
    assert s.allowance.adjustment_limit == Money(10000)


def test_data_key_is_base64_of_32_bytes(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, f'[security]\ndata_key = "{DATA_KEY}"'), environ={})
    assert s.security.data_key == DATA_KEY
    urlsafe = DATA_KEY.replace("/", "_").replace("+", "-").rstrip("=")
    assert Settings().with_overrides(security={"data_key": urlsafe}).security.data_key == urlsafe
    for bad in ("c2hvcnQ=", "not base64 at all!", DATA_KEY[:-4], 32):
        with pytest.raises(ConfigError) as info:
            Settings().with_overrides(security={"data_key": bad})
        message = str(info.value)
        assert "security.data_key" in message and "\n" not in message
        assert not isinstance(bad, str) or bad not in message  # a secret is never echoed


def test_data_key_from_the_environment(tmp_path: Path) -> None:
    empty = write(tmp_path, "")
    s = load_settings(empty, environ={"CHARITY_DATA_KEY": DATA_KEY})
    assert s.security.data_key == DATA_KEY
    with pytest.raises(ConfigError, match=r"security\.data_key"):
        load_settings(empty, environ={"CHARITY_DATA_KEY": "abc"})


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("[allowance]\nadjustment_limit = 100", None),
        ("[allowance]\nadjustment_limit = 100.0", "allowance.adjustment_limit"),
        ('[allowance]\nadjustment_limit = "-1"', "allowance.adjustment_limit"),
        ("store = 3", "[store]"),
        ("[discount]\nby_category = 3", "[discount.by_category]"),
        ('[discount.by_category]\n"粮油" = "0.5"', "discount.by_category.粮油"),
        ('[allowance.by_category]\n"其他" = "10.00"', "allowance.by_category"),
        ("[printer]\ndrawer_pin = 3", "printer.drawer_pin"),
        ('[inventory]\nscale_prefixes = ["29"]', "inventory.instore_prefix"),
        ("[clothing]\nitems_per_quarter = -1", "clothing.items_per_quarter"),
    ],
)
def test_more_values_name_the_key_on_one_line(tmp_path: Path, toml: str, named: str | None) -> None:
    if named is None:
        assert load_settings(write(tmp_path, toml), environ={}).allowance.adjustment_limit == Money(
            10000
        )
        return
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, toml), environ={})
    assert named in str(info.value) and "\n" not in str(info.value)


def test_overrides_are_validated_like_a_file_and_keep_the_base() -> None:
    wide = Settings().with_overrides(discount={"min_rate": "0.02", "max_rate": "0.20"})
    assert wide.with_overrides(discount={"default_rate": "0.15"}).discount.max_rate == Decimal(
        "0.20"
    )
    with pytest.raises(ConfigError, match=r"allowance\.monthly"):
        Settings().with_overrides(allowance={"monthly": 50.5})
    with pytest.warns(UnknownConfigKey, match=r"\[colour\]"):
        Settings().with_overrides(colour={"a": 1})
    assert Settings().with_overrides(store={"timezone": "Asia/Tokyo"}).tz.key == "Asia/Tokyo"


def test_the_instance_folder_is_beside_a_sqlite_database(tmp_path: Path) -> None:
    beside = Settings().with_overrides(database={"url": f"sqlite:///{tmp_path}/db/charity.db"})
    assert beside.instance_dir == tmp_path / "db"
    elsewhere = Settings().with_overrides(database={"url": "postgresql+psycopg://u@h/db"})
    assert elsewhere.instance_dir == Path("var").resolve()


def test_access_keys_have_defaults_and_are_checked() -> None:
    security = Settings().security
    assert (security.idle_minutes, security.terminal_idle_minutes) == (30, 15)
    assert security.login_rate_limit == "10 per minute; 60 per hour"
    assert security.rate_limit_storage == "memory://"
    for key, bad in (
        ("idle_minutes", 0),
        ("terminal_idle_minutes", "15"),
        ("login_rate_limit", "often"),
        ("rate_limit_storage", "localhost:6379"),
    ):
        with pytest.raises(ConfigError, match=rf"security\.{key}"):
            Settings().with_overrides(security={key: bad})


def test_what_a_real_store_needs_names_the_key() -> None:
    key = "A" * 43 + "="
    assert "security.secret_key" in (Settings().security.production_problem() or "")
    short = Settings().with_overrides(security={"secret_key": "x" * 31, "data_key": key})
    assert "只有 31 个字符" in (short.security.production_problem() or "")
    keyless = Settings().with_overrides(security={"secret_key": "x" * 32})
    assert "security.data_key" in (keyless.security.production_problem() or "")
    ready = Settings().with_overrides(security={"secret_key": "x" * 32, "data_key": key})
    assert ready.security.production_problem() is None
