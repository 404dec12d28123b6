"""vgtui: a terminal explorer of vanishing and exploding gradients in RNNs."""

__version__ = "0.1.0"
