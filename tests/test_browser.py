"""The real app in a real browser: Debian's chromium driven by Playwright, as a person
would use it. Screenshots land in test-artifacts/."""

import re
import time

import pytest
from browser_helpers import ARTIFACTS, chromium, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def app():
    with streamlit_server(log_name="browser-server.log") as (url, started, log), \
            chromium() as browser:
        yield url, started, browser, log


def no_exception(page):
    assert page.locator("[data-testid='stException']").count() == 0, page.inner_text("body")
    assert "Traceback" not in page.inner_text("body")


def go(page, name):
    page.get_by_role("link", name=name, exact=True).first.click()


def metric(page, label):
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text()


def test_first_page_drawn_and_every_page_opens(app):
    url, started, browser, _ = app
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("heading", name="lstm-demo").wait_for(timeout=30_000)
    no_exception(page)
    for name, heading in [("Train", "Train the three-symbol LSTM"),
                          ("Predict", "Predict the next symbol"), ("Home", "lstm-demo")]:  # noqa: E501
        go(page, name)
        page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=30_000)
        no_exception(page)
    page.close()


def test_train_on_the_default_passage_then_predict(app):
    url, _, browser, log = app
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url)
    go(page, "Train")
    page.get_by_text("In a sense , people are our proper occupation").first.wait_for()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"Done.*accuracy on all 99 training pairs")).wait_for(
        timeout=90_000)
    no_exception(page)
    done = page.get_by_text(re.compile(r"Done")).first.inner_text()
    accuracy = float(re.search(r"([\d.]+)% accuracy", done).group(1))
    assert accuracy >= 97.0, done
    assert "CPU:0" in done
    page.screenshot(path=str(ARTIFACTS / "train-done.png"))

    go(page, "Predict")
    page.get_by_role("heading", name="Next symbol", exact=True).wait_for(timeout=30_000)
    box = page.get_by_role("textbox", name="Type 3 words")
    box.fill("stands in the")
    box.press("Enter")
    page.get_by_text("After stands in the the model predicts:").wait_for(timeout=30_000)
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for()
    page.get_by_text("stands in the → way").first.wait_for(timeout=30_000)
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "predict.png"))

    box.fill("stands in teh")
    box.press("Enter")
    page.get_by_text("“teh” (closest known: the").wait_for(timeout=30_000)
    no_exception(page)
    page.close()


def test_live_curves_update_and_stop_keeps_the_model(app):
    url, _, browser, _ = app
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url)
    go(page, "Train")
    iterations = page.get_by_role("spinbutton", name=re.compile(r"^Iterations"))
    iterations.fill("100000")
    iterations.press("Enter")
    time.sleep(1.0)
    page.get_by_role("button", name="Train", exact=True).click()
    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=60_000)
    seen = []
    t0 = time.time()
    while time.time() - t0 < 3.0:
        seen.append(metric(page, "Iteration"))
        time.sleep(0.1)
    values = [int(v.replace(",", "")) for v in dict.fromkeys(seen)]
    assert values == sorted(values) and len(values) >= 5, values  # >= 2 redraws a second
    page.screenshot(path=str(ARTIFACTS / "train-live.png"))
    go(page, "Predict")  # leaving the page does not stop or restart the run
    page.get_by_text("Training in progress").wait_for(timeout=30_000)
    go(page, "Train")
    page.get_by_role("button", name="Stop", exact=True).click()
    stopped = page.get_by_text(re.compile(r"Stopped at iteration [\d,]+ of 100,000"))
    stopped.wait_for(timeout=5_000)
    no_exception(page)
    k = int(re.search(r"iteration ([\d,]+)", stopped.inner_text()).group(1).replace(",", ""))
    assert k > values[-1]  # it kept training while we were on the Predict page
    page.screenshot(path=str(ARTIFACTS / "train-stopped.png"))
    go(page, "Predict")
    page.get_by_text("stands in the → way").first.wait_for(timeout=30_000)
    page.close()
