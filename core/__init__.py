"""The bottom layer: env reading, links, CSV safety, parsers, pagination and the shared API helpers.

Imports nothing of Raves.
"""
