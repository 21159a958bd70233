"""案例知识助手 — an offline Chinese knowledge assistant over case documents.

The package reads as its pipeline: loaders → chunking → index → retrieval → answer → ui/cli."""

__version__ = "0.1.0"
