"""Offline question answering over news articles, every claim cited to the exact passage."""

__version__ = "0.1.0"
