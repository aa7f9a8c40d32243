"""Settings of every model (three-symbol, language model, sentiment): defaults, the
paper's presets, limits, validation.

Kept free of TensorFlow so that pages and the command line can check settings, and say
what is wrong with them, before the 5-second TensorFlow import.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass, fields

ENCODINGS = {
    "embedding": "learned embedding",
    "onehot": "one-hot vector",
    "index": "raw symbol index as a float (the original code)",
}
OPTIMIZERS = {"rmsprop": "RMSProp", "adam": "Adam"}
CHUNK_MAX = 256  # most training steps one graph call runs (lowlevel.train_chunk)

# Limits enforced here, not only in widgets: the page shows them next to each setting.
LIMITS = {
    "units": (1, 1024),
    "layers": (1, 3),
    "learning_rate": (1e-5, 1.0),
    "batch_size": (1, 4096),
    "iterations": (1, 200_000),
    "seed": (0, 2**31 - 1),
}


@dataclass
class LowLevelConfig:
    units: int = 128
    layers: int = 2
    encoding: str = "embedding"
    optimizer: str = "adam"
    learning_rate: float = 0.02
    batch_size: int = 128
    iterations: int = 300
    seed: int = 0
    # Accuracy is also reported as a trailing average over this many iterations,
    # as the paper's log does ("Average Accuracy" every 1,000 iterations).
    accuracy_window: int = 1
    xla: bool = False  # compile the training steps with XLA (slower start, faster steps)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> LowLevelConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


DEFAULT = LowLevelConfig()
PAPER = LowLevelConfig(
    units=512,
    layers=2,
    encoding="index",
    optimizer="rmsprop",
    learning_rate=1e-3,
    batch_size=1,
    iterations=50_000,
    accuracy_window=1000,
    xla=True,
)
PRESETS = {"default": DEFAULT, "paper": PAPER}


LABELS = {"units": "Hidden units", "layers": "LSTM layers", "learning_rate": "Learning rate",
          "batch_size": "Batch size", "iterations": "Iterations", "seed": "Random seed"}


def _number(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    return f"{int(value):,}" if abs(value) < 1e15 else f"{value:g}"


def validate(config: LowLevelConfig) -> list[str]:
    """Plain-language problems with a config; empty when it can be trained."""
    problems = []
    for name, (low, high) in LIMITS.items():
        label, value = LABELS[name], getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            problems.append(f"{label} must be a number, got {value!r}.")
        elif not low <= value <= high:
            problems.append(f"{label} must be between {_number(low)} and {_number(high)}, "
                            f"got {_number(value)}.")
        elif name != "learning_rate" and int(value) != value:
            problems.append(f"{label} must be a whole number, got {value!r}.")
    if config.encoding not in ENCODINGS:
        problems.append(f"Input encoding must be one of {', '.join(ENCODINGS)}, "
                        f"got {config.encoding!r}.")
    if config.optimizer not in OPTIMIZERS:
        problems.append(
            f"Optimizer must be one of {', '.join(OPTIMIZERS)}, got {config.optimizer!r}."
        )
    if (isinstance(config.accuracy_window, bool) or not isinstance(config.accuracy_window, int)
            or not 1 <= config.accuracy_window <= LIMITS["iterations"][1]):
        problems.append("Average accuracy over must be a whole number of iterations, "
                        f"from 1 to {LIMITS['iterations'][1]:,}.")
    return problems


# -- the stacked LSTM language model (Fig. 2) ---------------------------------------------
@dataclass
class LanguageModelConfig:
    hidden: int = 128
    layers: int = 2
    num_steps: int = 20
    dropout: float = 0.5
    batch_size: int = 32
    epochs: int = 20  # about 35 s on the fables with 2 CPU cores
    learning_rate: float = 0.005
    vocab_cap: int = 10_000  # the most frequent symbols; the rest become <unk>
    holdout: float = 0.1  # the tail of the text kept for held-out accuracy and perplexity
    seed: int = 0

    @property
    def units(self) -> int:  # for the pages that show "units x layers"
        return self.hidden

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> LanguageModelConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


PAPER_LM = LanguageModelConfig(hidden=500, layers=2)
LM_LIMITS = {"hidden": (2, 1024), "layers": (1, 4), "num_steps": (2, 200),
             "dropout": (0.0, 0.9), "batch_size": (1, 1024), "epochs": (1, 200),
             "learning_rate": (1e-5, 1.0), "vocab_cap": (10, 50_000), "holdout": (0.05, 0.5),
             "seed": (0, 2**31 - 1)}
LM_LABELS = {"hidden": "Hidden size", "layers": "LSTM layers", "num_steps": "Steps per window",
             "dropout": "Dropout", "batch_size": "Batch size", "epochs": "Epochs",
             "learning_rate": "Learning rate", "vocab_cap": "Vocabulary cap",
             "holdout": "Held-out share", "seed": "Random seed"}


def validate_lm(config: LanguageModelConfig, n_symbols: int | None = None) -> list[str]:
    problems = [f"{LM_LABELS[name]} must be from {low:g} to {high:,}."
                for name, (low, high) in LM_LIMITS.items()
                if not isinstance(getattr(config, name), (int, float))
                or not low <= getattr(config, name) <= high]
    if n_symbols is not None and not problems:
        held = n_symbols - int(n_symbols * (1 - config.holdout))
        if held <= config.num_steps + 1 or n_symbols - held <= config.num_steps + 1:
            problems.append(f"The text has {n_symbols:,} symbols: too few for windows of "
                            f"{config.num_steps} steps in both the training part and the "
                            f"held-out {config.holdout:.0%}. Use a longer text or fewer steps.")
    return problems


def lm_steps_per_epoch(n_symbols: int, config: LanguageModelConfig) -> int:
    split = int(n_symbols * (1 - config.holdout))
    return -(-((split - 1) // config.num_steps) // config.batch_size)


# -- the IMDB sentiment classifier (Fig. 7) -----------------------------------------------
@dataclass
class SentimentConfig:
    num_words: int = 1000
    embedding: int = 50
    maxlen: int = 200
    units: int = 100
    dense: int = 250
    dropout: float = 0.5
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 0.001
    holdout: float = 0.1  # share of the training reviews kept out, for the held-out curve
    seed: int = 0
    keep_best: bool = True  # end with the weights of the epoch best on the held-out reviews

    layers = 1  # one LSTM layer (for the pages that show "units x layers")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> SentimentConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


PAPER_SENTIMENT = SentimentConfig()  # the paper's model; its 10 epochs are a setting (3 by default)
SENTIMENT_LIMITS = {"num_words": (10, 10_003), "embedding": (2, 256), "maxlen": (10, 500),
          "units": (2, 512), "dense": (1, 1024), "dropout": (0.0, 0.9), "epochs": (1, 50),
          "batch_size": (1, 1024), "learning_rate": (1e-5, 1.0), "holdout": (0.0, 0.5),
          "seed": (0, 2**31 - 1)}
SENTIMENT_LABELS = {"num_words": "Vocabulary (num_words)", "embedding": "Embedding size",
          "maxlen": "Review length (tokens)", "units": "LSTM units", "dense": "Dense units",
          "dropout": "Dropout", "epochs": "Epochs", "batch_size": "Batch size",
          "learning_rate": "Learning rate", "holdout": "Held-out share", "seed": "Random seed"}


def validate_sentiment(config: SentimentConfig, word_index=None) -> list[str]:
    """Problems with the settings; with a ``imdb.WordIndex``, also num_words against it."""
    problems = []
    for name, (low, high) in SENTIMENT_LIMITS.items():
        value = getattr(config, name)
        if not isinstance(value, (int, float)) or not low <= value <= high:
            problems.append(f"{SENTIMENT_LABELS[name]} must be from {low:g} to {high:,}.")
    if word_index is not None and config.num_words > word_index.max_num_words:
        problems.append(f"{SENTIMENT_LABELS['num_words']} can be at most {word_index.max_num_words:,} "
                        f"with {word_index.source}.")
    return problems


def steps_per_epoch(n_train: int, config: SentimentConfig) -> int:
    n = n_train - int(round(n_train * config.holdout))
    return -(-n // config.batch_size)
