"""The few words a buyer reads next to a landed price, in the listing's language.

Written here (not machine-translated) for the languages of the 22 markets; a language not
listed falls back to English.
"""

from __future__ import annotations

INCLUDED = {
    "en": "duties and taxes included", "de": "inkl. Zoll und Steuern",
    "fr": "droits et taxes inclus", "it": "dazi e tasse inclusi",
    "es": "aranceles e impuestos incluidos", "nl": "inclusief invoerrechten en btw",
    "pl": "cło i podatki wliczone", "pt": "impostos e taxas incluídos",
    "ja": "関税・消費税込み", "ko": "관세 및 세금 포함", "zh": "含关税和税费",
    "th": "รวมภาษีและอากรแล้ว", "id": "sudah termasuk bea dan pajak",
    "ms": "termasuk duti dan cukai", "vi": "đã gồm thuế và phí nhập khẩu",
    "ar": "شامل الرسوم الجمركية والضرائب", "tl": "kasama na ang buwis at taripa",
}
MAY_APPLY = {
    "en": "duties and taxes may apply", "de": "Zoll und Steuern können anfallen",
    "fr": "des droits et taxes peuvent s'appliquer",
    "it": "potrebbero essere applicati dazi e tasse",
    "es": "pueden aplicarse aranceles e impuestos",
    "nl": "invoerrechten en btw kunnen van toepassing zijn",
    "pl": "mogą obowiązywać cło i podatki", "pt": "podem incidir impostos e taxas",
    "ja": "関税・税金がかかる場合があります", "ko": "관세 및 세금이 부과될 수 있음",
    "zh": "可能产生关税和税费", "th": "อาจมีภาษีและอากรเพิ่มเติม",
    "id": "bea dan pajak mungkin berlaku", "ms": "duti dan cukai mungkin dikenakan",
    "vi": "có thể phát sinh thuế và phí", "ar": "قد تُطبق رسوم جمركية وضرائب",
    "tl": "maaaring may buwis at taripa",
}
NOT_SOLD = {
    "en": "not sold to this market", "de": "nicht in dieses Land lieferbar",
    "fr": "non disponible pour ce pays", "it": "non disponibile per questo paese",
    "es": "no disponible para este país", "nl": "niet leverbaar in dit land",
    "pl": "niedostępne w tym kraju", "pt": "indisponível para este país",
    "ja": "この国には販売できません", "ko": "이 국가에는 판매되지 않음", "zh": "不向该市场销售",
    "th": "ไม่จำหน่ายในประเทศนี้", "id": "tidak dijual ke negara ini",
    "ms": "tidak dijual ke negara ini", "vi": "không bán tại thị trường này",
    "ar": "غير متاح في هذا البلد", "tl": "hindi ibinebenta sa bansang ito",
}


def label(table: dict[str, str], language: str) -> str:
    return table.get(language.split("-")[0].lower(), table["en"])
