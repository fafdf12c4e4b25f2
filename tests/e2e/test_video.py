"""Shoppable short video, end to end in Chromium: a seller uploads a vertical clip in the
console (resumable, with a progress bar), waits for processing, tags a product, adds German
captions (and corrects a cue), and publishes to DE and JP; a buyer in Germany watches it
on a phone with the German captions showing, sees the card with the delivered euro price
during the tag's range, and buys it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import console_page, fill_address, pay, screenshot_dir
from tests.e2e.test_buyer_path import BUYERS
from tests.video.conftest import make_clip

pytestmark = pytest.mark.e2e
TITLE = "ANC1 im Zug — 4 Sekunden"
CAPTIONS = ("WEBVTT\n\n00:00.200 --> 00:01.900\nRuhe im Zug.\n\n"
            "00:02.000 --> 00:03.800\nEin Tipp genügt.\n")


def test_a_seller_publishes_a_clip_and_a_buyer_in_germany_buys_from_it(
        server, browser, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "zug.mp4", size="540x960", seconds=4.0)
    seller = console_page(browser, server)
    seller.goto(f"{server}/console/videos")
    seller.locator("#file").set_input_files(str(clip))
    seller.locator("#title").fill(TITLE)
    seller.locator("#lang").fill("de")
    for box in seller.locator("input[name=markets]").all():
        box.set_checked(box.get_attribute("value") in ("DE", "JP"))
    seller.get_by_role("button", name="Upload").click()
    mine = seller.locator("li.video", has_text=TITLE)
    mine.wait_for(timeout=120_000)  # the page reloads once the worker is done
    assert mine.get_attribute("data-status") == "ready", mine.inner_text()
    screenshot = screenshot_dir()
    seller.screenshot(path=str(screenshot / "console-videos.png"))

    anc1 = mine.locator("select[name=product] option", has_text="SW-ANC1 ").first
    mine.locator("select[name=product]").select_option(anc1.get_attribute("value"))
    mine.locator("input[name=start]").fill("0.5")
    mine.locator("input[name=end]").fill("3.5")
    mine.get_by_role("button", name="Tag").click()
    mine = seller.locator("li.video", has_text=TITLE)
    mine.locator("[data-role=tags] li").wait_for()

    # German captions: a file in another encoding is refused in the page, by name
    latin1 = tmp_path / "zug-latin1.vtt"
    latin1.write_bytes(CAPTIONS.encode("latin-1"))  # "ü" as one byte: not UTF-8
    form = mine.locator("form.caption-form")
    form.locator("input[name=file]").set_input_files(str(latin1))
    form.locator("input[name=lang]").fill("de")
    with seller.expect_event("dialog") as said:
        form.get_by_role("button", name="Add captions").click()
    assert "UTF-8" in said.value.message, said.value.message
    said.value.accept()
    good = tmp_path / "zug.vtt"
    good.write_text(CAPTIONS, encoding="utf-8")
    form.locator("input[name=file]").set_input_files(str(good))
    form.get_by_role("button", name="Add captions").click()
    mine = seller.locator("li.video", has_text=TITLE)
    editor = mine.locator("details.caption-edit[data-lang=de]")
    editor.wait_for()
    editor.locator("summary").click()
    cue = editor.locator("li.cue").nth(1)
    cue.locator("textarea").fill("Ein Tipp reicht.")
    cue.get_by_role("button", name="Save").click()
    mine = seller.locator("li.video", has_text=TITLE)
    edited = mine.locator("details.caption-edit[data-lang=de]", has_text="edited")
    edited.wait_for()
    edited.locator("summary").click()
    edited.locator("li.cue textarea").nth(1).wait_for()
    assert edited.locator("li.cue textarea").nth(1).input_value() == "Ein Tipp reicht."
    mine.screenshot(path=str(screenshot / "console-video-captions.png"))
    mine.get_by_role("button", name="Publish to its markets").click()
    seller.locator("li.video", has_text=TITLE).filter(has_text="DE published").wait_for()
    assert "JP published" in seller.locator("li.video", has_text=TITLE).inner_text()
    seller.context.close()

    locale, _, _lang, address, sign = BUYERS["DE"]
    # a buyer of her own: the demo's Lena signs in all through the e2e suite, and her
    # account's sign-in delay grows with it
    email = "mia.video@kaeufer.example"
    made = httpx.post(f"{server}/api/customers", json={
        "email": email, "display_name": "Mia", "home_country": "DE",
        "preferred_language": "de", "password": "demo-password-1"}, timeout=10)
    assert made.status_code in (201, 409), made.text
    # She comes from an address of her own (through the trusted local proxy): the suite's
    # many sign-ins from 127.0.0.1 would otherwise meet the per-address limit (30 in 5 min)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True, locale=locale,
                              extra_http_headers={"X-Forwarded-For": "203.0.113.49"})
    page = ctx.new_page()
    page.goto(f"{server}/shop/sonicwave?market=DE")
    page.locator("#signin summary").click()
    page.locator("#email").fill(email)
    page.locator("#password").fill("demo-password-1")
    page.locator("#signin-form button[type=submit]").click()
    try:
        page.locator("#signin").wait_for(state="detached")  # reloaded, signed in
    except Exception:
        pytest.fail(f"sign-in did not complete: {page.locator('#toast').inner_text()!r}")
    page.locator("#videos").wait_for()  # the storefront shows the shop's videos
    page.locator("#videos a", has_text=TITLE).click()
    clip_el = page.locator(".clip", has_text=TITLE)
    clip_el.wait_for()
    assert page.locator("html").get_attribute("lang") == "de"
    card = clip_el.locator(".vcard")
    card.wait_for(timeout=30_000)  # appears while the video plays through 0.5–3.5 s
    played = clip_el.locator("video").evaluate("v => v.currentTime")
    assert played > 0
    # the German captions show, with the seller's correction
    shown = page.wait_for_function("""() => {
        const v = document.querySelector('.clip video');
        const t = [...v.textTracks].find((t) => t.mode === 'showing');
        const now = t && t.activeCues && [...t.activeCues].map((c) => c.text).join(' ');
        return now ? t.language + '|' + now : null; }""", timeout=30_000).json_value()
    lang, text = shown.split("|", 1)
    assert lang == "de" and text in ("Ruhe im Zug.", "Ein Tipp reicht."), shown
    price = card.locator(".vprice").inner_text()
    assert sign in price and re.search(r"\d+,\d{2}", price), price
    assert card.locator(".vlabel").inner_text().startswith("inkl.")
    page.screenshot(path=str(screenshot / "video-player-de.png"))
    card.locator("button.buy").click()
    page.locator("#toast", has_text="Warenkorb").wait_for()
    assert "Melden Sie sich an" not in page.locator("#toast").inner_text()  # held, signed in

    page.goto(f"{server}/shop/sonicwave/cart")
    page.locator(".cline", has_text="ANC1").wait_for()
    page.locator("#cart-total").wait_for()
    fill_address(page, "Mia", address)
    pay(page)
    assert page.locator(".order-status").get_attribute("data-status") == "paid"
    assert "ANC1" in page.locator(".order-lines").inner_text()
    ctx.close()
