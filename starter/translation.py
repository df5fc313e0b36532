"""The translation hook of `procure export`: an offline glossary by default, a plug-in otherwise.

A translator is any object with ``async translate(texts: list[str]) -> list[str]`` (Chinese in,
the listing language out, same order). ``EXPORT_TRANSLATOR=package.module:factory`` names a
factory that returns one (a real translation service, with its own keys in its own settings);
unset, `Glossary` replaces the terms it knows, longest first, and leaves the rest as it was, so
an untranslated word shows in the file and is reported instead of being guessed.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Protocol

from starter.exit_status import BadInput


class Translator(Protocol):
    async def translate(self, texts: list[str]) -> list[str]: ...


#: Common 1688 listing words -> English. Small on purpose: a shop adds its own with --glossary.
GLOSSARY: dict[str, str] = {
    "纯棉": "Cotton", "T恤": "T-Shirt", "男款": "Men's", "女款": "Women's", "白色": "White", "黑色": "Black",
    "红色": "Red", "蓝色": "Blue", "灰色": "Grey", "颜色": "Color", "尺码": "Size", "材质": "Material",
    "棉": "Cotton", "涤纶": "Polyester", "不锈钢": "Stainless Steel", "保温杯": "Insulated Cup", "杯子": "Cup",
    "秋季": "Autumn", "夏季": "Summer", "冬季": "Winter", "春季": "Spring", "短袖": "Short Sleeve",
    "长袖": "Long Sleeve", "圆领": "Crew Neck", "宽松": "Loose Fit", "透气": "Breathable", "舒适": "Comfortable",
    "新款": "New", "外套": "Jacket", "裤子": "Trousers", "帽子": "Hat", "袜子": "Socks", "背包": "Backpack",
    "手机壳": "Phone Case", "数据线": "Charging Cable", "产地": "Origin", "中国": "China", "件": "pc",
    "重量": "Weight", "容量": "Capacity", "毫升": "ml", "均码": "One Size", "纯色": "Solid Color",
    "大容量": "Large Capacity", "礼品定制": "Custom Gift", "工厂直供": "Factory Direct",
    "品质保证": "Quality Guaranteed", "帆布包": "Canvas Bag", "，": ", ",
}

_CJK = re.compile(r"[\u3400-\u9fff]")


def untranslated(text: str) -> bool:
    return bool(_CJK.search(text))


class Glossary:
    def __init__(self, terms: Mapping[str, str] = GLOSSARY) -> None:
        self._terms = sorted(terms.items(), key=lambda kv: -len(kv[0]))

    def _one(self, text: str) -> str:
        for source, target in self._terms:
            text = text.replace(source, f" {target} ")
        return re.sub(r"\s+", " ", text).strip()

    async def translate(self, texts: list[str]) -> list[str]:
        return [self._one(text) for text in texts]


def load_translator(spec: str | None, extra_terms: Mapping[str, str] | None = None) -> Translator:
    """The glossary (with ``extra_terms``), or the plug-in ``spec`` names (``module:factory``)."""
    if not spec:
        return Glossary({**GLOSSARY, **(extra_terms or {})})
    module_name, _, factory_name = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name or "translator")
    except (ImportError, AttributeError) as exc:
        raise BadInput(f"EXPORT_TRANSLATOR={spec}: cannot load it ({type(exc).__name__}); "
                       "give package.module:factory") from None
    translator = factory()
    if not callable(getattr(translator, "translate", None)):
        raise BadInput(f"EXPORT_TRANSLATOR={spec}: the factory's object has no translate(texts) method")
    return translator
