"""The real app in a real browser: Debian's chromium driven by Playwright, as a person
would use it. Screenshots land in test-artifacts/."""

import re
import time

import pytest
from browser_helpers import ARTIFACTS, chromium, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def app():
    with streamlit_server(log_name="browser-server.log") as (url, started, log, _), \
            chromium() as browser:
        yield url, started, browser, log


def no_exception(page):
    assert page.locator("[data-testid='stException']").count() == 0, page.inner_text("body")
    assert "Traceback" not in page.inner_text("body")


def go(page, name):
    page.get_by_role("link", name=name, exact=True).first.click()


def train_until_done(page, timeout=90_000):
    """Press Train and wait for the run's 'Done' line; return its text."""
    page.get_by_role("button", name="Train", exact=True).click()
    done = page.get_by_text(re.compile(r"Done.*accuracy on all")).first
    done.wait_for(timeout=timeout)
    return done.inner_text()


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
    done = train_until_done(page)
    no_exception(page)
    assert "accuracy on all 99 training pairs" in done
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
    units = page.get_by_role("spinbutton", name=re.compile(r"^Hidden units"))
    units.fill("96")
    units.press("Enter")
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
    time.sleep(1.5)  # let the status line refresh a few times (streamlit/streamlit#10805)
    go(page, "Train")
    page.get_by_text(re.compile(r"This run: 96 units")).wait_for(timeout=30_000)
    # the settings are still the person's, not the defaults
    assert page.get_by_role("spinbutton", name=re.compile(r"^Iterations")).input_value() == "100000"
    assert page.get_by_role("spinbutton", name=re.compile(r"^Hidden units")).input_value() == "96"
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


XSS = ('In a sense <img src=x onerror=alert(1)> people are our <script>alert(2)</script> '
       'proper occupation . Our job is [a link](javascript:alert(3)) to do them good .')


def test_gates_page_after_training_and_user_text_stays_inert(app):
    url, _, browser, _ = app
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    go(page, "Train")
    area = page.get_by_role("textbox", name=re.compile("Text to learn"))
    area.fill(XSS)
    area.press("Control+Enter")
    page.get_by_text("'onerror'").first.wait_for(timeout=30_000)  # symbol array shows it
    train_until_done(page)
    go(page, "Gates")
    page.get_by_role("heading", name="Gate activations", exact=True).wait_for(timeout=30_000)
    for title in ["input gate i", "forget gate f", "candidate g", "output gate o",
                  "cell state c (s_t)", "hidden state h"]:
        page.get_by_text(title, exact=True).first.wait_for(timeout=30_000)
    page.get_by_text("They agree.").first.wait_for(timeout=30_000)
    # the whole training text, coloured by one unit: the markup is shown, not run
    page.get_by_text(re.compile("The training text")).first.click()
    page.get_by_text("onerror", exact=True).first.wait_for(timeout=30_000)
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "gates.png"), full_page=False)
    # the replay slider: move it to the first snapshot
    slider = page.get_by_role("slider").last
    slider.focus()
    slider.press("Home")
    page.get_by_text(re.compile(r"at iteration 0 \(snapshot 1 of")).wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "gates-replay.png"), full_page=False)
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert not dialogs, dialogs
    no_exception(page)
    page.close()


def test_two_browser_sessions_keep_their_own_text_and_model(app):
    url, _, browser, _ = app
    a, b = browser.new_context(), browser.new_context()
    try:
        pa, pb = a.new_page(), b.new_page()
        pa.goto(url)
        go(pa, "Train")
        area = pa.get_by_role("textbox", name=re.compile("Text to learn"))
        area.fill("alpha beta gamma delta alpha beta gamma epsilon alpha beta gamma delta")
        area.press("Control+Enter")
        train_until_done(pa)
        pb.goto(url)
        go(pb, "Train")
        pb.get_by_text("In a sense , people are our proper occupation").first.wait_for()
        go(pb, "Predict")
        pb.get_by_text("No model yet").wait_for(timeout=30_000)
        go(pa, "Predict")
        box = pa.get_by_role("textbox", name="Type 3 words")
        box.fill("alpha beta gamma")
        box.press("Enter")
        pa.get_by_text("alpha beta gamma →").first.wait_for(timeout=30_000)
        no_exception(pa)
        no_exception(pb)
    finally:
        a.close()
        b.close()


def test_keras_twin_in_the_browser_and_the_comparison(app):
    url, _, browser, _ = app
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(url)
    go(page, "Train")
    train_until_done(page)
    page.get_by_text(re.compile("Keras model.fit")).first.click()  # the Model switch
    page.get_by_text("The same task, data and dictionary").wait_for(timeout=30_000)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"This run: .*")).first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"Done.*accuracy on all 99")).wait_for(timeout=120_000)
    page.get_by_role("heading", name="4 · Low-level TensorFlow vs Keras").wait_for(
        timeout=30_000)
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "keras-comparison.png"))
    go(page, "Predict")
    page.get_by_text("Using the model trained on the Train page: Three-symbol model (Keras)",
                     exact=False).first.wait_for(timeout=30_000)
    page.get_by_text("stands in the → way").first.wait_for(timeout=30_000)
    no_exception(page)
    page.close()
