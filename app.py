"""lstm-demo: learn how LSTM networks work by training them live."""

import streamlit as st

from lstm_demo import runtime, ui

st.set_page_config(page_title="lstm-demo", page_icon=":material/memory:", layout="wide")
runtime.start_background_import()  # TensorFlow loads once the first page is out
ui.keep_tensorflow_caches()
ui.init_session()

page = st.navigation([
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/language.py", title="Language model", icon=":material/notes:"),
    st.Page("app_pages/sentiment.py", title="Sentiment", icon=":material/reviews:"),
    st.Page("app_pages/predict.py", title="Predict", icon=":material/psychology:"),
    st.Page("app_pages/gates.py", title="Gates", icon=":material/grid_on:"),
])
ui.model_file_sidebar()
page.run()
runtime.first_page_sent()
