"""Benchmarks of issue 12: the sync, the pages and the job queue, measured on the project's loopback fakes
of Google and Anthropic, with a naive pipeline as the baseline. Run ``python -m bench`` (see
docs/benchmarks.md); ``python -m bench --quick`` is the small variant CI runs, which checks counts only."""
