"""Serving: input schemas from signatures, the two wire protocols, and model runtimes.

The ASGI app, the router and the deployment its workers follow, the prediction log and the
metrics build on these.
"""
