"""Layer 1, input: loaders that turn files, stdin and feed exports into Documents or LoadIssues."""

from hypecheck.sources.text import decode_bytes, read_document

__all__ = ["decode_bytes", "read_document"]
