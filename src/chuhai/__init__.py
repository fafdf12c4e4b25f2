"""chuhai (出海): socialized cross-border e-commerce — live rooms and shoppable videos."""

__version__ = "0.1.0"
