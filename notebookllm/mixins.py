"""``from notebookllm.mixins import PrepareOnceMixin`` — the import path the seed guide uses."""

from .core.mixins import PrepareOnceMixin

__all__ = ["PrepareOnceMixin"]
