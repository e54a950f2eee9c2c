"""The leaf every stage shares: Vietnamese text normalisation (common.text: NFC, tone placement,
accent and đ folding) and URL canonicalisation (common.urls).

Imports nothing of ours, only the standard library.
"""
