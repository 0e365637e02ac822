"""From text to ids: reading files, the built-in corpus, the vocabulary, the encoded id stream."""
