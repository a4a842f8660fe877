"""The model registry (manifest of on-device models and their quantization recipes).

Empty until the vision and speech capabilities land; the code path needs no model file.
"""
