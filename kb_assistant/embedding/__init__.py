"""Embedder adapters: the real sentence-transformers model and a deterministic hashing embedder."""

from kb_assistant.embedding.hashing import HashingEmbedder
from kb_assistant.embedding.sentence_transformer import SentenceTransformerEmbedder

__all__ = ["HashingEmbedder", "SentenceTransformerEmbedder"]
