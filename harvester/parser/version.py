"""The parser's version: bump it when a change alters any record (stored parses are keyed by it)."""

PARSER_VERSION = "1.1.0"
