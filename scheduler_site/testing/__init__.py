"""Test support: local fakes of the outside services (Google, Anthropic), runnable by hand too."""
