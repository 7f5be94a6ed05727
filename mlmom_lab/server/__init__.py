"""The Jupyter server extension: REST routes under ``/mlmom/api/`` over the core.

Thin handlers (one module per concern, as in ``mlmom_lab``'s own layout), each authenticated
and authorized as jupyter_server's own handlers are. See :mod:`.base` for the project lookup
(confined to the server's root) and the JSON errors.
"""

from __future__ import annotations


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "mlmom_lab.server"}]


def _load_jupyter_server_extension(serverapp) -> None:
    import os

    from .routes import setup_handlers

    setup_handlers(serverapp.web_app)
    if os.environ.get("MLMOM_LAB_OPEN_SIDEBAR"):  # set by `mlmom lab`: the frontend opens it
        serverapp.web_app.settings.setdefault("page_config_data", {})["mlmomOpenSidebar"] = True
    serverapp.log.info("mlmom-lab server extension loaded (/mlmom/api/)")
