"""The Jupyter server extension: REST routes under ``/mlmom/api/`` over the core.

Thin handlers (one module per concern, as in ``mlmom_lab``'s own layout), each authenticated
and authorized as jupyter_server's own handlers are. See :mod:`.base` for the project lookup
(confined to the server's root) and the JSON errors.
"""

from __future__ import annotations


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "mlmom_lab.server"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from .routes import setup_handlers

    setup_handlers(serverapp.web_app)
    serverapp.log.info("mlmom-lab server extension loaded (/mlmom/api/)")
