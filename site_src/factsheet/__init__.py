"""The Xiaomi × Leica fact-sheet generator: YAML facts in, a verified static site out."""
