"""The explorer page in a real browser: Debian's Chromium, headless, driven by Playwright.

CI installs it (`apt-get install chromium`); elsewhere these tests skip and say why. Playwright
cannot download its own browsers here, so it is pointed at /usr/bin/chromium
(``PALABRA2VEC_CHROMIUM`` to use another).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

pytest.importorskip("starlette", reason="the [serve] extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the [serve] extra (uvicorn) is not installed")
pytest.importorskip("playwright.sync_api", reason="playwright (the Python package) is not installed")

CHROMIUM = Path(os.environ.get("PALABRA2VEC_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set PALABRA2VEC_CHROMIUM)",
                allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from palabra2vec.serve.app import create_app  # noqa: E402
from serve_helpers import HOSTILE, PrefixSubwords, live_server, toy_vectors, write_toy_model  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The toy model written as a word2vec file, served the way `palabra2vec serve FILE` does."""
    path = write_toy_model(tmp_path_factory.mktemp("model") / "toy.txt")
    with live_server(create_app(path)) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh page; dialogs (alert) and script errors are collected, and must stay empty."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    p = context.new_page()
    p.dialogs, p.errors = [], []
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p
    assert p.dialogs == [] and p.errors == []
    assert p.evaluate("window.__pwned") is None
    context.close()


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _neighbour_words(page) -> list[str]:
    return page.locator("ol.neighbours a.word").all_text_contents()


def test_type_a_word_see_neighbours_click_one(page, site):
    wv = toy_vectors()
    page.goto(site + "/")
    page.locator("#word").press_sequentially("cab", delay=30)
    expect(page.locator("#word-list li")).to_have_text(["caballero", "caballo", "caballeros"])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#results h2")).to_have_text("caballero")
    assert _query(page) == {"word": ["caballero"]}
    expected = [w for w, _ in wv.most_similar("caballero", topn=15)]
    expect(page.locator("ol.neighbours a.word")).to_have_count(15)
    assert _neighbour_words(page) == expected
    # hostile words are shown as text: no <b> or <img> made from them, no script ran
    assert set(HOSTILE) <= set(_neighbour_words(page))
    assert page.locator("#results b, #results img, #results script").count() == 0
    page.locator("ol.neighbours a.word", has_text="escudero").click()
    expect(page.locator("#results h2")).to_have_text("escudero")
    assert _query(page) == {"word": ["escudero"]}
    assert _neighbour_words(page) == [w for w, _ in wv.most_similar("escudero", topn=15)]
    page.go_back()
    expect(page.locator("#results h2")).to_have_text("caballero")


def test_a_hostile_word_as_the_query(page, site):
    page.goto(site + "/?word=caballero")
    page.locator("ol.neighbours a.word", has_text=HOSTILE[0]).click()
    expect(page.locator("#results h2")).to_have_text(HOSTILE[0])
    assert _query(page) == {"word": [HOSTILE[0]]}
    expect(page.locator("svg.map .pt.query text")).to_have_text(HOSTILE[0])
    page.reload()  # the view comes back from the address alone
    expect(page.locator("#results h2")).to_have_text(HOSTILE[0])
    assert page.locator("#word").input_value() == HOSTILE[0]
    assert page.locator("#results script, #results b").count() == 0


def test_analogy_from_the_form_and_from_the_address(page, site):
    page.goto(site + "/")
    for field, word in (("#a", "rey"), ("#b", "reina"), ("#c", "hombre")):
        page.fill(field, word)
    page.click("#form-analogy button")
    expect(page.locator("#results h2")).to_have_text("rey : reina :: hombre : ?")
    assert _query(page) == {"a": ["rey"], "b": ["reina"], "c": ["hombre"]}
    expect(page.locator("ol.answers a.word").first).to_have_text("mujer")
    page.goto(site + "/?a=rey&b=reina&c=hombre")
    expect(page.locator("ol.answers a.word").first).to_have_text("mujer")
    answers = [w for w, _ in toy_vectors().analogy("rey", "reina", "hombre", topn=10)]
    assert page.locator("ol.answers a.word").all_text_contents() == answers


def test_map_shows_the_word_and_its_neighbours_with_readable_labels(page, site):
    page.goto(site + "/?word=sancho")
    points = page.locator("svg.map g.pt")
    expect(points).to_have_count(16)
    expect(page.locator("svg.map g.pt.query text")).to_have_text("sancho")
    boxes = page.evaluate("""() => [...document.querySelectorAll('svg.map text')]
        .filter(t => t.getAttribute('visibility') !== 'hidden')
        .map(t => { const b = t.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })""")
    assert len(boxes) >= 8  # most labels find a free spot on 16 points
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)  # no overlap
    page.locator("svg.map g.pt:not(.query) circle").first.click(force=True)
    expect(page.locator("#results h2")).not_to_have_text("sancho")
    assert _query(page)["word"] != ["sancho"]


def test_unknown_word_offers_did_you_mean(page, site):
    page.goto(site + "/")
    page.fill("#word", "cancion")
    page.press("#word", "Escape")
    page.click("#form-word button")
    expect(page.locator("#results .error")).to_have_text("“cancion” is not in the vocabulary.")
    expect(page.locator(".did-you-mean a.word")).to_have_text(["canción", "canciones"])
    page.locator(".did-you-mean a.word").first.click()
    expect(page.locator("#results h2")).to_have_text("canción")


def test_enter_right_after_typing_leaves_no_list_open(page, site):
    page.goto(site + "/")
    page.locator("#word").press_sequentially("cab")
    page.keyboard.press("Enter")  # before the completion request has even been sent
    expect(page.locator("#results .error")).to_have_text("“cab” is not in the vocabulary.")
    page.wait_for_timeout(600)  # the pending completion must not reopen the list
    expect(page.locator("#word-list")).to_be_hidden()


def test_similarity_and_doesnt_match(page, site):
    wv = toy_vectors()
    page.goto(site + "/?w1=día&w2=noche")
    expect(page.locator("#similarity")).to_have_text(f"{wv.similarity('día', 'noche'):.4f}")
    page.fill("#odd", "rey reina mujer hombre mesa")
    page.click("#form-odd button")
    expect(page.locator("#results h2")).to_have_text("Doesn't belong: " + wv.doesnt_match(["rey", "reina", "mujer", "hombre", "mesa"]))
    assert _query(page) == {"odd": ["rey reina mujer hombre mesa"]}


def test_phone_sized_window_has_no_sideways_scrolling(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(site + "/?word=caballero")
    expect(page.locator("ol.neighbours a.word")).to_have_count(15)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator("svg.map").bounding_box()
    assert box["width"] <= 390 and box["width"] > 300
    context.close()


def test_oov_words_of_a_subword_model_are_marked(browser):
    base = toy_vectors()
    with live_server(create_app(PrefixSubwords(base.vectors, base.index_to_key))) as url:
        page = browser.new_page()
        page.goto(url + "/?word=caballerito")
        expect(page.locator("#results h2 .badge")).to_have_text("oov")
        expect(page.locator("#results .oov-note")).to_contain_text("caballerito")
        expect(page.locator("ol.neighbours a.word")).to_have_count(15)
        page.goto(url + "/?word=caballero")
        expect(page.locator("ol.neighbours a.word")).to_have_count(15)
        assert page.locator("#results h2 .badge").count() == 0
        page.close()
