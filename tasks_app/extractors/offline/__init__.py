"""Rule-based offline extractor: finds requests, commitments and meeting proposals sentence by sentence.

It needs no network and no model, so it is the default and the fallback when Claude is unavailable.
The rules are general patterns (how English asks, promises and proposes), tuned on one fixed half of
the Parakweet intent set and checked on the other half; see docs/extraction.md for the figures.

``sentences`` cuts the body into sentences, list items and table rows, ``patterns`` says what each one
asks for, ``titles`` words the task, ``structure`` makes one task per item or row of a list or table of
asks, and ``extractor`` holds :class:`OfflineExtractor`, which puts them together.
"""

from __future__ import annotations

from .extractor import OfflineExtractor
from .patterns import SentenceIntent, classify_sentence
from .sentences import Sentence, split_sentences

__all__ = ["OfflineExtractor", "Sentence", "SentenceIntent", "classify_sentence", "split_sentences"]
