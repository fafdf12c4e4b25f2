"""Tamil, a language of Singapore and Malaysia: its lines are told by their script and
screened by the Tamil packs — claims, insults and slurs caught whatever ending the word
takes, lawful look-alikes let through, each finding citing the law where it is read."""

from __future__ import annotations

import pytest

from chuhai.comms.detect import detect
from chuhai.comms.screening.engine import Screener
from chuhai.comms.screening.packs import load_packs


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(load_packs())


@pytest.mark.parametrize(("market", "side", "text", "category", "action"), [
    ("MY", "host", "இந்த டீ சர்க்கரை நோயை குணப்படுத்தும்", "health_claim", "block"),
    ("SG", "host", "இந்த எண்ணெய் புற்றுநோயை தடுக்கும்", "health_claim", "block"),
    ("SG", "host", "இந்த இயர்பட்ஸ் போட்டா காது இரைச்சல் நின்னுடும்", "device_claim", "block"),
    ("MY", "host", "இந்த கிரீம் போட்டா நிரந்தரமா வெள்ளையாகிடும்", "cosmetic_claim", "warn"),
    ("SG", "host", "உண்மையான விலை 200 வெள்ளி, இன்னைக்கு 39 தான்", "price_claim", "warn"),
    ("SG", "host", "கடைசி வாய்ப்பு, யோசிக்காம வாங்குங்க", "urgency", "warn"),
    ("MY", "host", "பெருநாளுக்கு இந்த பன்றிக்கறி எல்லாரும் சாப்பிடலாம்", "cultural_taboo", "warn"),
    ("SG", "viewer", "டேய் முட்டாளே, வாயை மூடு", "insult", "block"),  # the stem, any ending
    ("MY", "viewer", "போடா நாயே", "insult", "block"),
])
def test_a_tamil_line_is_caught_in_its_class(screener, market, side, text, category, action):
    assert detect(text).lang == "ta"
    v = screener.screen(text, "ta", market, side)
    assert v.action == action
    assert category in {f.category for f in v.findings}


@pytest.mark.parametrize(("market", "side", "text"), [
    ("SG", "host", "இந்த மாய்ஸ்சரைசர் வறண்ட சருமத்துக்கு ஈரப்பதம் தரும்."),
    ("MY", "host", "இந்த பிஸ்கட் ஹலால் சான்றிதழ் பெற்றது, பன்றி இறைச்சி இல்லாதது."),
    ("MY", "viewer", "எங்க வீட்டு நாய்க்கு இந்த பந்து ரொம்ப பிடிக்கும்."),
    ("SG", "viewer", "அக்கா, எனக்கு சர்க்கரை நோய் இருக்கு, இதுல சர்க்கரை எவ்வளவு?"),
    # ordinary words that hold a short stem: loose, pool, tidily, sugar, tie, pressure
    # cooker, cotton, henna, "can", wine-coloured — none of them a claim or an insult
    ("SG", "host", "இந்த சட்டை கொஞ்சம் லூசா இருக்கும், ஒரு size குறைச்சு எடுங்க."),
    ("SG", "host", "ஸ்விம்மிங் பூல் போக இந்த டவல் சூப்பர்."),
    ("MY", "viewer", "ஒழுங்கா பேக் பண்ணி அனுப்புங்க ப்ளீஸ்."),
    ("MY", "host", "காபி லைட்டா சர்க்கரை போட்டு குடிச்சா நல்லா இருக்கும்."),
    ("SG", "host", "இந்த ஜூஸ் மெஷின்ல சர்க்கரை சேர்க்காமலே இனிப்பா வரும்."),
    ("MY", "host", "இந்த புடவை கட்டினா சுருக்கம் வராது."),
    ("SG", "host", "பிரஷர் குக்கர் மூடி சரியாக பொருந்தும்."),
    ("SG", "host", "இது பருத்தி துணி, மருதாணி கோனும் இருக்கு."),
    ("MY", "host", "இந்த பேக் கருப்பா இருக்கு, இதை பத்தி வேற என்ன சொல்ல முடியும்?"),
    ("MY", "host", "ஒயின் கலர் புடவை புதுசா வந்திருக்கு."),
])
def test_lawful_tamil_look_alikes_pass(screener, market, side, text):
    assert screener.screen(text, "ta", market, side).action == "allow"


def test_a_tamil_claim_cites_the_law_of_the_market_it_is_read_in(screener):
    line = "இந்த டீ சர்க்கரை நோயை குணப்படுத்தும்"
    sg = screener.screen(line, "ta", "SG", "host").findings[0]
    my = screener.screen(line, "ta", "MY", "host").findings[0]
    assert sg.source == "https://sso.agc.gov.sg/Act/MASA1955"
    assert my.source.startswith("https://lom.agc.gov.my/")
