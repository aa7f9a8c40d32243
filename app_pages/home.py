"""Home: what the app is and how to use it."""

import streamlit as st

from lstm_demo import ui

st.title("lstm-demo")
st.markdown(
    "Learn how **LSTM networks** work by training one, live, in front of you.\n\n"
    "The app follows the paper *Long Short Term Memory Using Tensorflow and Keras "
    "Framework* (Mahalakshmi, Harshitha and Sharanya): a small network reads **three "
    "symbols** (words or punctuation marks) and learns to predict the **fourth**. It is "
    "written in low-level TensorFlow — every gate of every LSTM step is spelled out — and "
    "trains on the paper's passage from Marcus Aurelius in a few seconds on a laptop CPU."
)
ui.run_status()

col1, col2, col3 = st.columns(3)
with col1:
    st.subheader("1 · Train")
    st.markdown(
        "Keep the paper's passage or paste your own text, look at the symbols and the "
        "dictionary the network will see, and press **Train**. Loss and accuracy are drawn "
        "as it learns; **Stop** keeps what it has learned so far."
    )
    st.page_link("app_pages/train.py", label="Go to Train", icon=":material/model_training:")
with col2:
    st.subheader("2 · Predict")
    st.markdown(
        "Type three words from the text — *stands in the* — and see the probabilities the "
        "network gives each possible next symbol, or let it continue the text on its own."
    )
    st.page_link("app_pages/predict.py", label="Go to Predict", icon=":material/psychology:")
with col3:
    st.subheader("3 · Look inside")
    st.markdown(
        "See every gate of every cell as the network reads a text: input, forget and output "
        "gates, candidate, cell state and hidden state, symbol by symbol, with the equations "
        "worked out in numbers, and replayed over training."
    )
    st.page_link("app_pages/gates.py", label="Go to Gates", icon=":material/grid_on:")

st.subheader("The paper's Keras models")
k1, k2 = st.columns(2)
with k1:
    st.markdown(
        "**Language model** (Fig. 2): two stacked LSTM layers and a TimeDistributed softmax "
        "read windows of text and predict the next symbol at every step. Train it on Aesop's "
        "Fables, your own text or a corpus, and watch its perplexity on text it never saw."
    )
    st.page_link("app_pages/language.py", label="Go to Language model", icon=":material/notes:")
with k2:
    st.markdown(
        "**Sentiment** (Fig. 7): the IMDB classifier, 135,901 parameters. Train it on the "
        "app's own reviews (no network needed) or on IMDB, then type a review and see what "
        "the model reads, what it thinks, and its gates."
    )
    st.page_link("app_pages/sentiment.py", label="Go to Sentiment", icon=":material/reviews:")

st.subheader("The LSTM cell, as the paper writes it")
st.latex(r"""
\begin{aligned}
g &= \tanh(b_g + x_t U_g + h_{t-1} V_g) &\quad& \text{candidate}\\
i &= \sigma(b_i + x_t U_i + h_{t-1} V_i) && \text{input gate}\\
f &= \sigma(b_f + x_t U_f + h_{t-1} V_f) && \text{forget gate}\\
o &= \sigma(b_o + x_t U_o + h_{t-1} V_o) && \text{output gate}\\
s_t &= s_{t-1} \circ f + g \circ i && \text{cell state}\\
h_t &= \tanh(s_t) \circ o && \text{hidden state}
\end{aligned}
""")
st.caption(
    "The paper reports 97.10% accuracy on its passage with 512 units, two layers and "
    "50,000 iterations (batch size 1, RMSProp). The Train page has those settings as a "
    "preset, and faster defaults for a live demo."
)
