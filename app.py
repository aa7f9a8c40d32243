"""lstm-demo: learn how LSTM networks work by training them live."""

import streamlit as st

from lstm_demo import runtime, ui

st.set_page_config(page_title="lstm-demo", page_icon="🧠", layout="wide")
runtime.start_background_import()  # TensorFlow loads while the first page is drawn
ui.init_session()

page = st.navigation([
    st.Page("app_pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("app_pages/train.py", title="Train", icon="🏋️"),
    st.Page("app_pages/predict.py", title="Predict", icon="🔮"),
])
page.run()
