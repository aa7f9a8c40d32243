"""Predict: three words in, the fourth out, with probabilities; or let the model continue."""

import streamlit as st

from lstm_demo import charts, ui
from lstm_demo.predict import continue_text, join_symbols, read_context, top_k

ss = st.session_state


WORD_MODELS = ("lowlevel", "keras", "lm")  # the models that predict the next symbol


def model_section():
    entry = ui.pick_model(WORD_MODELS, "pick_predict")
    if entry is None:
        if "sentiment" in ss.get("models", {}):
            st.info("The sentiment classifier predicts a review's label, not the next word: "
                    "try it in the Sentiment page's review box.", icon=":material/info:")
            st.page_link("app_pages/sentiment.py", label="Go to Sentiment",
                         icon=":material/reviews:")
        st.info("No model yet that predicts words. Train one on the Train page (a few "
                "seconds) or the Language model page, or load a saved model file (sidebar, "
                "*Model file*).",
                icon=":material/info:")
        st.page_link("app_pages/train.py", label="Go to Train", icon=":material/model_training:")
        return None
    model = entry["model"]
    s = model.summary
    acc = f", {s['accuracy']:.2%} training accuracy" if "accuracy" in s else ""
    ppl = f", held-out perplexity {s['perplexity']:,.1f}" if "perplexity" in s else ""
    st.caption(f"Using the model {ui.md_escape(entry['source'])}: {model.title}, "
               f"{model.config.units} units × {model.config.layers} layers, "
               f"{len(model.reverse):,} symbols{acc}{ppl}.")
    return model


def context_size(model) -> int:
    """3 for the three-symbol models; the language model reads as many as asked for."""
    if model.kind != "lm":
        return model.context_size
    st.number_input("Symbols of context the language model reads (1–200)", min_value=1,
                    max_value=200, **ui.bind("lm_predict_context"),
                    help="It learned from windows of "
                         f"{model.config.num_steps} symbols: it can read more than three.")
    return int(ss.lm_predict_context)


def next_symbol_section(model):
    st.subheader("Next symbol")
    size = context_size(model)
    st.text_input(f"Type {size} words" if model.kind != "lm" else
                  f"Type at least {size} words (the last {size} are read)",
                  **ui.bind("predict_text"),
                  help="Normalised as the training text was: 'The Mind adapts' is read as "
                       "'the mind adapts'. Punctuation marks are symbols too.")
    context = read_context(ss.predict_text, model, size)
    if context.note:
        st.info(ui.md_escape(context.note), icon=":material/content_cut:")
    if context.ids is None:
        st.warning(ui.md_escape(context.problem), icon=":material/warning:")
        return None
    top = top_k(model, context.ids, 5)
    c1, c2 = st.columns([3, 2])
    c1.plotly_chart(charts.top_k_figure(top), key="top_k_chart")
    with c2:
        st.markdown(f"After **{ui.md_escape(' '.join(context.used))}** the model predicts:")
        st.dataframe(
            {"rank": list(range(1, len(top) + 1)), "symbol": [s for s, _ in top],
             "probability": [f"{p:.2%}" for _, p in top]},
            hide_index=True, key="top_k_table",
        )
    return context


def continue_section(model, context):
    st.subheader("Continue the text")
    c1, c2, c3 = st.columns(3)
    c1.number_input("Symbols to generate (1–200)", min_value=1, max_value=200,
                    **ui.bind("continue_n"))
    c2.number_input("Temperature for sampling (0.05–5)", min_value=0.05, max_value=5.0,
                    step=0.1, **ui.bind("temperature"))
    c3.number_input("Sampling seed", min_value=0, max_value=2**31 - 1, **ui.bind("sample_seed"))
    size = context.ids.shape[1]
    greedy = continue_text(model, context.ids, ss.continue_n, size=size)
    sampled = continue_text(model, context.ids, ss.continue_n, ss.temperature, ss.sample_seed,
                            size=size)
    start = join_symbols(context.used)
    st.markdown("**Greedy** (always the most likely symbol):")
    st.text(f"{start} → {join_symbols(greedy)}")
    st.markdown(f"**Sampled** at temperature {ss.temperature:g}:")
    st.text(f"{start} → {join_symbols(sampled)}")


st.title("Predict the next symbol")
ui.run_status()
model = model_section()
if model is not None:
    context = next_symbol_section(model)
    if context is not None:
        continue_section(model, context)
