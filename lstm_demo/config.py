"""Settings of the three-symbol model: defaults, the paper's preset, limits, validation.

Kept free of TensorFlow so that pages and the command line can check settings, and say
what is wrong with them, before the 5-second TensorFlow import.
"""

from __future__ import annotations

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
