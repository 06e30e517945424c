"""Text in: read corpus files of each format, repair and clean them, split sentences, cut passages."""
