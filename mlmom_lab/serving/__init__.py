"""Serving: input schemas from signatures, the two wire protocols, and model runtimes.

The ASGI app, router, prediction log and metrics build on these (see issue 4).
"""
