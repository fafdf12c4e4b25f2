"""Language detection of short, often mixed chat lines: script first, lingua for Latin
script, the author's own language when unsure."""

from __future__ import annotations

import pytest

from chuhai.comms.detect import detect


@pytest.mark.parametrize(("text", "lang"), [
    ("这个 jacket 有 XL 吗", "zh"),       # Han with a few Latin words: Chinese
    ("この色かわいい！", "ja"),
    ("このjacketの色、かわいい", "ja"),    # kana among kanji and Latin: Japanese
    ("사이즈 있나요?", "ko"),
    ("สวยมากค่ะ", "th"),
    ("كم السعر؟", "ar"),
    ("இது என்ன விலை?", "ta"),
    ("அக்கா இந்த dress XL size இருக்கா?", "ta"),  # Tamil with English words: Tamil
    ("好看", "zh"),
    ("Hat die Jacke auch Größe L?", "de"),
    ("Est-ce que vous livrez en France ?", "fr"),
    ("Tem no tamanho M?", "pt"),
    ("Ada ukuran XL kak?", "id"),
    ("Có size L không shop?", "vi"),
    ("Does it come in blue?", "en"),
])
def test_the_language_of_a_short_line(text, lang):
    found = detect(text, fallback="en")
    assert found.lang == lang and found.confident


def test_mixed_script_lines_are_marked_mixed():
    assert detect("这个 jacket 有 XL 吗").mixed is True
    assert detect("好看").mixed is False


def test_a_line_too_short_to_tell_keeps_the_authors_language():
    for text in ("XL?", "😍😍", "ok"):
        found = detect(text, fallback="de")
        assert found.lang == "de" and not found.confident


def test_a_long_english_line_with_one_chinese_word_is_english():
    assert detect("I really love this jacket, it looks great on you 好").lang == "en"
