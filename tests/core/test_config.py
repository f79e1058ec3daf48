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
