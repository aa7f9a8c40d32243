"""The Keras variants in a real browser: the language model and the sentiment classifier
trained live with curves and Stop, then used on the Predict, Sentiment and Gates pages.
Screenshots land in test-artifacts/."""

import re
import time

import pytest
from browser_helpers import ARTIFACTS, chromium, streamlit_server
from test_browser import XSS, go, metric, no_exception

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def app():
    with streamlit_server(log_name="browser-variants.log") as (url, _, log, _pid), chromium() as browser:
        yield url, browser, log


def set_number(page, label_start, value):
    box = page.get_by_role("spinbutton", name=re.compile("^" + re.escape(label_start)))
    box.fill(str(value))
    box.press("Enter")
    time.sleep(0.4)


def test_language_model_trains_live_and_predicts(app):
    url, browser, _ = app
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(url)
    go(page, "Language model")
    page.get_by_role("heading", name="Stacked LSTM language model").wait_for(timeout=30_000)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    area = page.get_by_role("textbox", name=re.compile(r"^Text to learn"))
    area.fill(area.input_value() + "\n" + XSS)  # the fables, and markup at the end
    area.press("Control+Enter")
    deadline = time.time() + 30
    while metric(page, "Symbols") == "14,009":  # until the page has the new text
        assert time.time() < deadline
        time.sleep(0.2)
    set_number(page, "Hidden size", 32)
    set_number(page, "Epochs", 4)
    page.get_by_role("button", name="Train", exact=True).dblclick()  # one run, not two
    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=60_000)  # live
    done = page.get_by_text(re.compile(r"Held-out text: perplexity")).first
    done.wait_for(timeout=120_000)
    no_exception(page)
    assert re.search(r"perplexity [\d,.]+", done.inner_text())
    assert page.locator("[data-testid='stPlotlyChart']").count() == 2
    assert re.search(r"Done: (\d+) steps", done.inner_text())
    page.screenshot(path=str(ARTIFACTS / "language-model.png"), full_page=True)
    assert not dialogs and page.locator("img[src='x']").count() == 0

    go(page, "Predict")
    box = page.get_by_role("textbox", name=re.compile(r"^Type at least"))
    box.wait_for(timeout=30_000)
    box.fill("the fox and the")
    box.press("Enter")
    page.get_by_text("After fox and the the model predicts:").wait_for(timeout=30_000)
    no_exception(page)
    page.close()


def test_sentiment_trains_stops_and_reads_a_review(app):
    url, browser, _ = app
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(url)
    go(page, "Sentiment")
    page.get_by_role("heading", name="Sentiment: the paper's IMDB classifier").wait_for(
        timeout=30_000)
    page.get_by_text("the same as the paper's Fig. 7").wait_for(timeout=60_000)  # 135,901
    set_number(page, "Epochs", 50)
    page.get_by_role("button", name="Train", exact=True).click()
    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=60_000)
    before = int(metric(page, "Iteration").replace(",", ""))
    deadline = time.time() + 15
    while int(metric(page, "Iteration").replace(",", "")) <= before:  # the page follows it
        assert time.time() < deadline, "the iteration count did not move"
        time.sleep(0.2)
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text(re.compile(r"Stopped after [\d,]+ of [\d,]+ steps")).wait_for(timeout=20_000)
    no_exception(page)

    set_number(page, "Epochs", 3)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"Done: 3 epoch")).wait_for(timeout=120_000)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    box = page.get_by_role("textbox", name="Type a review")
    box.fill(XSS)  # the markup is shown as words, never run
    box.press("Control+Enter")
    page.get_by_text("onerror", exact=True).first.wait_for(timeout=30_000)
    assert page.locator("img[src='x']").count() == 0 and not dialogs
    assert page.locator("a[href^='javascript']").count() == 0
    box.fill("A wonderful film with great acting.<br /><br />I loved it. Xqzzy!")
    box.press("Control+Enter")
    page.get_by_text(re.compile(r"3 of them|1 out of its 1,000-word vocabulary")).first.wait_for(
        timeout=30_000)
    assert metric(page, "Positive").endswith("%")
    assert page.locator("span", has_text="xqzzy").first.evaluate(
        "e => getComputedStyle(e).textDecorationLine") == "line-through"
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "sentiment.png"), full_page=True)

    page.get_by_role("button", name="Open this review on the Gates page").click()
    page.get_by_role("heading", name="Inside the cells").wait_for(timeout=30_000)
    page.get_by_text("positions the model reads").first.wait_for(timeout=30_000)
    page.get_by_text("They agree.").first.wait_for(timeout=30_000)
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "sentiment-gates.png"), full_page=True)
    assert not dialogs and page.locator("img[src='x']").count() == 0
    page.close()
