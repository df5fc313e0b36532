"""`procure export`'s command line: bad input is refused with a reason and exit 2 before
anything is contacted; the translation hook loads a plug-in or the glossary."""

from __future__ import annotations

import sys
import types

import pytest

from runtime.settings import load_settings
from starter.cli import run
from starter.exit_status import BadInput
from starter.translation import Glossary, load_translator


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    # Nothing listens there: a command that connected would fail with exit 3, not 2.
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    load_settings()
    return tmp_path


@pytest.mark.parametrize("extra, expected", [
    (["--margin", "lots", "--exchange-rate", "0.14"], "--margin 'lots': not a number"),
    (["--margin", "0.3", "--exchange-rate", "0"], "exchange_rate"),
    (["--margin", "-1", "--exchange-rate", "0.14"], "margin"),
    (["--margin", "0.3", "--exchange-rate", "0.14", "--currency", "dollars"], "currency"),
])
def test_bad_options_exit_2_with_the_reason(nowhere, capsys, extra, expected):
    assert run(["export", "PR-1", "--out", str(nowhere / "out"), *extra]) == 2
    assert expected in capsys.readouterr().err
    assert not (nowhere / "out").exists()


def test_bad_request_id_exits_2(nowhere, capsys):
    assert run(["export", "PR 1; rm", "--out", str(nowhere), "--margin", "0.3", "--exchange-rate", "0.14"]) == 2
    assert "not a request id" in capsys.readouterr().err


def test_unknown_marketplace_exits_2(nowhere, capsys):
    with pytest.raises(SystemExit) as exited:
        run(["export", "PR-1", "--out", str(nowhere), "--margin", "0.3", "--exchange-rate", "0.14", "--to", "ebay"])
    assert exited.value.code == 2


async def test_glossary_translates_known_terms_and_leaves_the_rest():
    assert await Glossary().translate(["秋季纯棉T恤 白色", "手工 杯子"]) == ["Autumn Cotton T-Shirt White", "手工 Cup"]


async def test_a_plugin_translator_is_loaded_by_name(monkeypatch):
    module = types.ModuleType("shop_translation")

    class Upper:
        async def translate(self, texts: list[str]) -> list[str]:
            return [f"EN:{t}" for t in texts]

    module.make = Upper  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "shop_translation", module)
    assert await load_translator("shop_translation:make").translate(["杯子"]) == ["EN:杯子"]
    with pytest.raises(BadInput, match="cannot load it"):
        load_translator("shop_translation:missing")
