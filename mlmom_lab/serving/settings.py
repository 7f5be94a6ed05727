"""How a model server runs, as an operator sets it: traitlets configurables, as Jupyter's own
settings are (``c.ServingSettings.workers = 4``).

The project (``mlmom.yaml``) says what is served and how the model behaves; these settings say
how the machine serves it: processes, batching, TLS, API keys, log durability, ONNX threads.
They are read, lowest priority first, from ``mlmom_config.json`` / ``mlmom_config.py`` in every
Jupyter config folder (``jupyter --paths``), then from ``mlmom serve``'s options; the lab's
server also takes them from ``jupyter_server_config``. ``mlmom serve --show-config`` prints
them all with their help.

uvicorn's workers are processes started from an import string, so the settings reach them
as ``MLMOM_*`` environment variables (:meth:`ServingSettings.environ` in the parent,
:meth:`ServingSettings.from_environ` in each worker): the only place those variables are read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from traitlets import Bool, Enum, Float, Int, List, TraitError, Unicode, validate
from traitlets.config import Config, Configurable

CONFIG_FILE = "mlmom_config"  # .json and .py, in each Jupyter config folder
MAX_BODY_BYTES = 8 * 1024 * 1024

# trait -> the variable that carries it to the workers
ENVIRON = {
    "providers": "MLMOM_SERVE_PROVIDERS",
    "native": "MLMOM_SERVE_NATIVE",
    "variant": "MLMOM_SERVE_VARIANT",
    "max_body_bytes": "MLMOM_SERVE_MAX_BODY",
    "max_batch_size": "MLMOM_SERVE_MAX_BATCH",
    "max_wait_ms": "MLMOM_SERVE_MAX_WAIT_MS",
    "api_keys": "MLMOM_API_KEYS",
    "api_keys_file": "MLMOM_API_KEYS_FILE",
    "log_durability": "MLMOM_LOG_DURABILITY",
    "onnx_threads": "MLMOM_ONNX_THREADS",
}


class ServingSettings(Configurable):
    """Settings of a model server (``mlmom serve``, or the one the lab starts)."""

    workers = Int(1, help="Worker processes (1-64).").tag(config=True)
    providers = List(
        Unicode(),
        help="ONNX Runtime execution providers in order (default: CUDA when present, then "
        "CPU), e.g. ['CUDAExecutionProvider', 'CPUExecutionProvider'].",
    ).tag(config=True)
    native = Bool(
        False,
        help="Answer with the model itself only, never its ONNX twin (to compare, or to rule "
        "the twin out).",
    ).tag(config=True)
    variant = Enum(
        ["int8"],
        None,
        allow_none=True,
        help="Serve this variant of each version's ONNX graph where it was made and kept "
        "(mlmom registry optimize --quantize int8); a version without one serves its float "
        "graph.",
    ).tag(config=True)
    max_body_bytes = Int(MAX_BODY_BYTES, help="Largest request body in bytes (413 above).").tag(
        config=True
    )
    max_batch_size = Int(
        None,
        allow_none=True,
        help="Most rows micro-batched into one prediction; 1 turns batching off (default: "
        "serving.batching in mlmom.yaml).",
    ).tag(config=True)
    max_wait_ms = Float(
        None,
        allow_none=True,
        help="How long a request may wait for others to batch with, 0-1000 ms (default: "
        "serving.batching in mlmom.yaml).",
    ).tag(config=True)
    ssl_certfile = Unicode(None, allow_none=True, help="PEM certificate (chain): HTTPS.").tag(
        config=True
    )
    ssl_keyfile = Unicode(None, allow_none=True, help="PEM private key of the certificate.").tag(
        config=True
    )
    api_keys = Unicode(
        "",
        help="API keys as 'scope:key' pairs, comma-separated (scopes: predict, admin). Empty: "
        "the server is open to anyone who can reach it. Prefer api_keys_file for secrets.",
    ).tag(config=True)
    api_keys_file = Unicode(
        None, allow_none=True, help="A file of 'scope:key' lines (# comments allowed)."
    ).tag(config=True)
    log_durability = Enum(
        ["fast", "safe"],
        None,
        allow_none=True,
        help="Prediction log: 'safe' answers only once the row is stored (default: "
        "serving.log.durability in mlmom.yaml).",
    ).tag(config=True)
    onnx_threads = Int(
        1, help="Threads of each ONNX Runtime session (per worker; 1 suits many workers)."
    ).tag(config=True)

    @validate("workers")
    def _workers(self, proposal: dict[str, Any]) -> int:
        return int(_within(proposal, 1, 64))

    @validate("max_batch_size")
    def _max_batch_size(self, proposal: dict[str, Any]) -> int | None:
        return None if proposal["value"] is None else _within(proposal, 1, 100_000)

    @validate("max_wait_ms")
    def _max_wait_ms(self, proposal: dict[str, Any]) -> float | None:
        return None if proposal["value"] is None else _within(proposal, 0, 1000)

    @validate("max_body_bytes", "onnx_threads")
    def _positive(self, proposal: dict[str, Any]) -> int:
        return int(_within(proposal, 1, 2**40))

    def environ(self) -> dict[str, str]:
        """The variables that carry these settings to the workers; an unset one is left out
        (see :func:`handed_down` for what else may reach them)."""
        out = {}
        for name, variable in ENVIRON.items():
            value = getattr(self, name)
            if value is None or value == "" or value == [] or value is False:
                continue
            out[variable] = (
                ",".join(value) if isinstance(value, list) else "1" if value is True else str(value)
            )
        return out

    def configured(self) -> set[str]:
        """The settings its config sets (not those left at their default)."""
        return set(self.config.get(type(self).__name__, {})) & set(self.trait_names())

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ServingSettings:
        """A worker's settings, from what its parent put in the environment."""
        environ = os.environ if environ is None else environ
        settings = cls()
        for name, variable in ENVIRON.items():
            raw = environ.get(variable)
            if raw:
                settings.set_trait(name, _parsed(settings.traits()[name], raw))
        return settings


def handed_down(environ: Mapping[str, str], settings: ServingSettings) -> dict[str, str]:
    """The environment for the workers: ``settings`` and nothing stale. Only the API keys
    may come from the environment itself (a container's Secret); any other ``MLMOM_*``
    setting there is dropped, so what the workers use is what was checked here."""
    kept = {"MLMOM_API_KEYS", "MLMOM_API_KEYS_FILE"}
    out = {k: v for k, v in environ.items() if k in kept or k not in ENVIRON.values()}
    return {**out, **settings.environ()}


def load(config: Config | None = None, **overrides: Any) -> ServingSettings:
    """The settings from the Jupyter config folders (or ``config``), then ``overrides``
    (command-line options; ``None`` means not given)."""
    settings = ServingSettings(config=config if config is not None else config_files())
    for name, value in overrides.items():
        if value is not None:
            setattr(settings, name, value)
    return settings


def config_files() -> Config:
    """``mlmom_config.json`` and ``.py`` from every Jupyter config folder, merged so that the
    user's folder wins over the environment's and the system's (as Jupyter's own apps do)."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config.loader import (
        ConfigFileNotFound,
        JSONFileConfigLoader,
        PyFileConfigLoader,
    )

    merged = Config()
    for folder in reversed(jupyter_config_path()):
        for loader in (JSONFileConfigLoader, PyFileConfigLoader):
            suffix = ".json" if loader is JSONFileConfigLoader else ".py"
            try:
                merged.merge(loader(CONFIG_FILE + suffix, path=folder).load_config())
            except ConfigFileNotFound:
                continue
    return merged


def _within(proposal: dict[str, Any], low: float, high: float) -> Any:
    value = proposal["value"]  # an int or a float: the trait's own type
    if not low <= value <= high:
        name = proposal["trait"].name
        raise TraitError(f"ServingSettings.{name} must be between {low} and {high}, not {value}")
    return value


def _parsed(trait: Any, raw: str) -> Any:
    if isinstance(trait, List):
        return [p for p in raw.split(",") if p]
    if isinstance(trait, Bool):
        return raw == "1"
    if isinstance(trait, Int):
        return int(raw)
    if isinstance(trait, Float):
        return float(raw)
    return raw
