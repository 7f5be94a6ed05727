"""ONNX Runtime as installed here: which build (the ``cpu`` or the ``gpu`` extra), which
execution providers a session gets, and the hardware a measurement depends on."""

from __future__ import annotations

import functools
import logging
import os
import platform
from typing import Any

TENSORRT_LIBRARY = "libnvinfer.so.10"  # the TensorRT that ONNX Runtime's GPU build links against
logger = logging.getLogger("mlmom.serving")

NOT_INSTALLED = (
    "ONNX Runtime is not installed: pip install 'mlmom-lab[cpu]', or 'mlmom-lab[gpu]' for "
    "its CUDA build (never both)"
)


def onnxruntime() -> Any:
    """The ``onnxruntime`` module, from whichever build is installed (the ``cpu`` or the
    ``gpu`` extra: both install this module). The GPU build finds the CUDA and cuDNN
    libraries the ``gpu`` extra installs (NVIDIA's wheels) only once they are preloaded."""
    try:
        import onnxruntime as ort
    except ImportError:
        from ..errors import InvalidRequest

        raise InvalidRequest(NOT_INSTALLED) from None
    _preload_cuda(ort)
    return ort


@functools.cache
def _preload_cuda(ort: Any) -> None:
    """``onnxruntime.preload_dlls()`` once, on a build with CUDA: without it the CUDA provider
    does not find NVIDIA's pip-installed libraries and ONNX Runtime silently runs on the CPU.
    What it prints about a library it could not load goes to the log."""
    import contextlib
    import io

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said):
            ort.preload_dlls()
    except Exception as exc:  # noqa: BLE001 - the session says which provider it really got
        said.write(f"preloading CUDA libraries failed: {exc}")
    if said.getvalue().strip():
        logger.warning("ONNX Runtime: %s", said.getvalue().strip())


def session(model: str | bytes, providers: list[str] | None = None) -> Any:
    """An ONNX Runtime session as the server runs it: the providers asked for (default: CUDA
    when present, then CPU) and ``MLMOM_ONNX_THREADS`` threads (default 1)."""
    ort = onnxruntime()

    options = ort.SessionOptions()
    # One thread per worker: a served batch is small, and ONNX Runtime's default pool (one
    # spinning thread per core) burns the cores the other workers and the HTTP parsing need.
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        model, sess_options=options, providers=execution_providers(providers)
    )


def threads() -> int:
    return int(os.environ.get("MLMOM_ONNX_THREADS", "1"))


def execution_providers(requested: list[str] | None = None) -> list[str]:
    """The providers to use: those asked for (each must exist here), else TensorRT where
    its libraries load, then CUDA where the build has it, then the CPU."""
    ort = onnxruntime()

    from ..errors import InvalidRequest

    available = ort.get_available_providers()
    if requested:
        missing = [p for p in requested if p not in available]
        if missing:
            raise InvalidRequest(
                f"execution provider {missing[0]!r} is not available here "
                f"(available: {', '.join(available)})"
            )
        return list(requested)
    chosen = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    if "TensorrtExecutionProvider" in available and _tensorrt_loads():
        chosen.insert(0, "TensorrtExecutionProvider")
    return chosen


@functools.cache
def _tensorrt_loads() -> bool:
    """Whether TensorRT's runtime library loads here: the GPU build lists its provider on
    every machine, and without the library a session falls back with an error logged."""
    import ctypes

    try:
        ctypes.CDLL(TENSORRT_LIBRARY)
    except OSError:
        return False
    return True


def hardware(onnx_session: Any) -> dict[str, Any]:
    """What a calibration depends on: the machine, its CPU and cores, ONNX Runtime's version,
    the providers a session really runs on and its threads."""
    ort = onnxruntime()

    return {
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "onnxruntime": ort.__version__,
        "providers": list(onnx_session.get_providers()),
        "threads": threads(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor()
