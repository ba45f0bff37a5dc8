"""KB Assistant: answers customers from a company's own knowledge, hands money matters to people."""

__version__ = "0.1.0"
