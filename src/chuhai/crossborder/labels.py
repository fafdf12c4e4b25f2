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
DELIVERED = {
    "en": "incl. delivery, duties and taxes", "de": "inkl. Versand, Zoll und Steuern",
    "fr": "livraison, droits et taxes inclus", "it": "spedizione, dazi e tasse inclusi",
    "es": "envío, aranceles e impuestos incluidos",
    "nl": "inclusief verzending, invoerrechten en btw",
    "pl": "z dostawą, cłem i podatkami", "pt": "frete, impostos e taxas incluídos",
    "ja": "送料・関税・消費税込み", "ko": "배송비·관세·세금 포함", "zh": "含运费、关税和税费",
    "th": "รวมค่าจัดส่ง ภาษีและอากรแล้ว", "id": "termasuk ongkir, bea dan pajak",
    "ms": "termasuk penghantaran, duti dan cukai",
    "vi": "đã gồm phí giao hàng, thuế và phí nhập khẩu",
    "ar": "شامل التوصيل والرسوم الجمركية والضرائب",
    "tl": "kasama na ang padala, buwis at taripa",
}
DELIVERED_MAY_APPLY = {
    "en": "incl. delivery; duties and taxes may apply",
    "de": "inkl. Versand; Zoll und Steuern können anfallen",
    "fr": "livraison incluse ; des droits et taxes peuvent s'appliquer",
    "it": "spedizione inclusa; potrebbero essere applicati dazi e tasse",
    "es": "envío incluido; pueden aplicarse aranceles e impuestos",
    "nl": "inclusief verzending; invoerrechten en btw kunnen van toepassing zijn",
    "pl": "z dostawą; mogą obowiązywać cło i podatki",
    "pt": "frete incluído; podem incidir impostos e taxas",
    "ja": "送料込み・関税等が別途かかる場合があります",
    "ko": "배송비 포함, 관세 및 세금이 부과될 수 있음",
    "zh": "含运费，可能产生关税和税费", "th": "รวมค่าจัดส่ง อาจมีภาษีและอากรเพิ่มเติม",
    "id": "termasuk ongkir; bea dan pajak mungkin berlaku",
    "ms": "termasuk penghantaran; duti dan cukai mungkin dikenakan",
    "vi": "đã gồm phí giao hàng; có thể phát sinh thuế và phí",
    "ar": "شامل التوصيل؛ قد تُطبق رسوم جمركية وضرائب",
    "tl": "kasama ang padala; maaaring may buwis at taripa",
}
NOT_DELIVERED = {
    "en": "no delivery to this market yet", "de": "derzeit kein Versand in dieses Land",
    "fr": "pas encore de livraison vers ce pays", "it": "nessuna spedizione verso questo paese",
    "es": "aún sin envíos a este país", "nl": "nog geen verzending naar dit land",
    "pl": "brak wysyłki do tego kraju", "pt": "ainda sem entrega para este país",
    "ja": "この国への配送はまだありません", "ko": "이 국가로는 아직 배송되지 않음",
    "zh": "暂不配送至该市场", "th": "ยังไม่จัดส่งไปยังประเทศนี้",
    "id": "belum ada pengiriman ke negara ini", "ms": "belum ada penghantaran ke negara ini",
    "vi": "chưa giao hàng tới thị trường này", "ar": "لا يتوفر التوصيل إلى هذا البلد بعد",
    "tl": "wala pang padala sa bansang ito",
}
DELIVERED_APPROX = {
    "en": "incl. delivery; duties and taxes estimated",
    "de": "inkl. Versand; Zoll und Steuern geschätzt",
    "fr": "livraison incluse ; droits et taxes estimés",
    "it": "spedizione inclusa; dazi e tasse stimati",
    "es": "envío incluido; aranceles e impuestos estimados",
    "nl": "inclusief verzending; invoerrechten en btw geschat",
    "pl": "z dostawą; cło i podatki szacunkowe", "pt": "frete incluído; impostos e taxas estimados",
    "ja": "送料込み・関税と消費税は概算", "ko": "배송비 포함, 관세·세금은 추정치",
    "zh": "含运费，关税和税费为估算", "th": "รวมค่าจัดส่ง ภาษีและอากรเป็นค่าประมาณ",
    "id": "termasuk ongkir; bea dan pajak perkiraan",
    "ms": "termasuk penghantaran; duti dan cukai anggaran",
    "vi": "đã gồm phí giao hàng; thuế và phí nhập khẩu là ước tính",
    "ar": "شامل التوصيل؛ الرسوم الجمركية والضرائب تقديرية",
    "tl": "kasama ang padala; tantiya ang buwis at taripa",
}
