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

    from traitlets import TraitError

    from ..serving.settings import ServingSettings
    from .routes import setup_handlers

    setup_handlers(serverapp.web_app)
    # c.ServingSettings.* in jupyter_server_config: how the lab's model server runs
    try:
        settings = ServingSettings(config=serverapp.config)
    except TraitError as exc:  # the lab still works; its server takes mlmom serve's defaults
        serverapp.log.error("mlmom-lab: %s (ignored)", str(exc).splitlines()[0])
        settings = ServingSettings()
    serverapp.web_app.settings["mlmom_serving"] = settings
    if os.environ.get("MLMOM_LAB_OPEN_SIDEBAR"):  # set by `mlmom lab`: the frontend opens it
        serverapp.web_app.settings.setdefault("page_config_data", {})["mlmomOpenSidebar"] = True
    serverapp.io_loop.call_later(WARM_UP_AFTER_S, _warm_up_in_background)
    serverapp.log.info("mlmom-lab server extension loaded (/mlmom/api/)")


WARM_UP_AFTER_S = 1.0


def _warm_up_in_background() -> None:
    """Import MLflow (~3 s here) in a thread once the server runs, so the panels' first
    registry request does not wait for it, and the server's start did not either."""
    import threading

    def warm_up() -> None:
        import mlflow  # noqa: F401

        from ..registry import paging  # noqa: F401

    threading.Thread(target=warm_up, name="mlmom-warm-up", daemon=True).start()
