"""Which ONNX Runtime providers a session gets: the GPU build's CUDA libraries preloaded,
TensorRT only where its library loads. No GPU here: ONNX Runtime's module is stood in for."""

import logging

import pytest

from mlmom_lab.registry import providers


class FakeRuntime:
    """What ``providers`` reads of the ``onnxruntime`` module of one build or the other."""

    def __init__(self, available, says=""):
        self.available, self.says, self.preloaded = available, says, 0

    def get_available_providers(self):
        return list(self.available)

    def preload_dlls(self):
        self.preloaded += 1
        print(self.says, end="")


@pytest.fixture
def runtime(monkeypatch):
    def install(available, says=""):
        fake = FakeRuntime(available, says)
        monkeypatch.setattr(providers, "onnxruntime", lambda: fake)
        return fake

    providers._preload_cuda.cache_clear()
    yield install
    providers._preload_cuda.cache_clear()


def test_the_gpu_build_preloads_nvidias_libraries_once_and_logs_what_failed(runtime, caplog):
    fake = runtime(
        ["CUDAExecutionProvider", "CPUExecutionProvider"], "Failed to load libcudnn.so.9"
    )
    with caplog.at_level(logging.WARNING, logger="mlmom.serving"):
        providers._preload_cuda(fake)
        providers._preload_cuda(fake)
    assert fake.preloaded == 1
    assert "Failed to load libcudnn.so.9" in caplog.text


def test_the_cpu_build_preloads_nothing(runtime):
    fake = runtime(["CPUExecutionProvider"])
    providers._preload_cuda(fake)
    assert fake.preloaded == 0


def test_tensorrt_comes_first_only_where_its_library_loads(runtime, monkeypatch):
    runtime(["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(providers, "_tensorrt_loads", lambda: False)
    assert providers.execution_providers() == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(providers, "_tensorrt_loads", lambda: True)
    assert providers.execution_providers()[0] == "TensorrtExecutionProvider"
    # asked for, a provider is used as asked, or refused in one line
    assert providers.execution_providers(["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    runtime(["CPUExecutionProvider"])
    with pytest.raises(Exception, match="'CUDAExecutionProvider' is not available here"):
        providers.execution_providers(["CUDAExecutionProvider"])


def test_here_the_library_is_not_there_and_the_real_build_is_the_cpus():
    assert providers._tensorrt_loads() is False
    assert providers.execution_providers() == ["CPUExecutionProvider"]
