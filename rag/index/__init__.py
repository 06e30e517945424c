"""The index: embed passages (with a content-hash cache), keep them in a vector store and a lexical store,
and write checksummed versions that are switched atomically."""
