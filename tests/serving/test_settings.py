"""Serving settings are traitlets configurables: read from mlmom_config files in the Jupyter
config folders, overridden by ``mlmom serve``'s options, refused in one line when out of range,
and carried to the workers through the environment unchanged."""

import subprocess
import sys

import pytest
from traitlets import TraitError

from mlmom_lab.serving.settings import ServingSettings, handed_down, load

pytestmark = pytest.mark.unit


def mlmom(*args):
    command = [sys.executable, "-c", "from mlmom_lab.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path))
    return tmp_path


def test_a_config_file_sets_them_and_options_win(config_dir):
    (config_dir / "mlmom_config.py").write_text(
        "c.ServingSettings.workers = 3\nc.ServingSettings.max_wait_ms = 2.5\n"
    )
    (config_dir / "mlmom_config.json").write_text('{"ServingSettings": {"onnx_threads": 2}}')
    settings = load()
    assert (settings.workers, settings.max_wait_ms, settings.onnx_threads) == (3, 2.5, 2)
    assert load(workers=5, max_wait_ms=None).workers == 5  # None: the option was not given
    assert load(max_wait_ms=None).max_wait_ms == 2.5


def test_out_of_range_values_are_refused_naming_the_setting(config_dir):
    with pytest.raises(TraitError, match=r"ServingSettings.workers must be between 1 and 64"):
        load(workers=0)
    out = mlmom("serve", "--max-wait-ms", "5000")
    assert out.returncode == 2
    assert "ServingSettings.max_wait_ms must be between 0 and 1000, not 5000" in out.stderr


def test_the_workers_get_the_same_settings_through_the_environment(config_dir):
    settings = load(
        providers=["CPUExecutionProvider"], native=True, max_batch_size=8, max_wait_ms=1.5,
        log_durability="safe", onnx_threads=2, api_keys="predict:k", max_body_bytes=1024,
        variant="int8",
    )  # fmt: skip
    environ = settings.environ()
    assert environ["MLMOM_SERVE_PROVIDERS"] == "CPUExecutionProvider"
    again = ServingSettings.from_environ(environ)
    for name in ("providers", "native", "max_batch_size", "max_wait_ms", "log_durability",
                 "onnx_threads", "api_keys", "max_body_bytes", "variant"):  # fmt: skip
        assert getattr(again, name) == getattr(settings, name), name
    plain = ServingSettings.from_environ(load().environ())
    assert not plain.native and plain.max_batch_size is None and plain.api_keys == ""
    assert plain.variant is None


def test_show_config_prints_every_setting_with_its_help(config_dir):
    out = mlmom("serve", "--show-config")
    assert out.returncode == 0, out.stderr
    for name in ("workers", "max_batch_size", "ssl_certfile", "api_keys_file", "onnx_threads",
                 "log_durability", "variant"):  # fmt: skip
        assert f"# c.ServingSettings.{name} =" in out.stdout


def test_the_workers_get_nothing_stale_but_a_containers_api_keys(config_dir):
    inherited = {"MLMOM_ONNX_THREADS": "4", "MLMOM_SERVE_NATIVE": "1", "PATH": "/bin",
                 "MLMOM_API_KEYS": "predict:from-a-secret"}  # fmt: skip
    handed = handed_down(inherited, load(max_wait_ms=2.0))
    assert handed["PATH"] == "/bin" and handed["MLMOM_API_KEYS"] == "predict:from-a-secret"
    assert handed["MLMOM_SERVE_MAX_WAIT_MS"] == "2.0" and handed["MLMOM_ONNX_THREADS"] == "1"
    assert "MLMOM_SERVE_NATIVE" not in handed  # the settings say: the twin
    assert not ServingSettings.from_environ(handed).native


def test_the_labs_server_gets_only_what_the_labs_config_sets(tmp_path):
    from traitlets.config import Config

    from mlmom_lab.serving.local_server import _command_line

    (tmp_path / "keys").write_text("predict:k\n")
    config = Config({"ServingSettings": {"workers": 2, "native": False,
                                         "api_keys_file": str(tmp_path / "keys")}})  # fmt: skip
    args, env = _command_line(ServingSettings(config=config))
    assert args == ["--workers", "2", "--api-keys-file", str(tmp_path / "keys"), "--no-native"]
    assert env == {} and _command_line(ServingSettings())[0] == []
    secret = Config({"ServingSettings": {"api_keys": "admin:s3cret"}})
    args, env = _command_line(ServingSettings(config=secret))
    assert "s3cret" not in " ".join(args) and env == {"MLMOM_API_KEYS": "admin:s3cret"}


def test_a_file_a_setting_names_must_be_there(config_dir):
    (config_dir / "mlmom_config.py").write_text("c.ServingSettings.ssl_certfile = '/nowhere.pem'\n")
    out = mlmom("serve")
    assert (
        out.returncode == 2 and "ServingSettings.ssl_certfile: no file '/nowhere.pem'" in out.stderr
    )
