"""Real Argos Translate on the tiny offline package from tests/tiny_argos.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("argostranslate")  # the optional translation extra

from tests.tiny_argos import build_package  # noqa: E402

TEXT = "Hello, this is a test. Call your social worker."

# Runs in a fresh interpreter: Argos reads its settings (XDG_* paths) at import time.
# Sockets are disabled first, so any attempted download fails the test.
TRANSLATE = """
import json, socket, sys

def no_network(*args, **kwargs):
    raise OSError("network access attempted in an offline test")

socket.socket.connect = no_network
socket.getaddrinfo = no_network

import argostranslate.package
import argostranslate.translate

argostranslate.package.install_from_path(sys.argv[1])
outputs = [argostranslate.translate.translate(sys.argv[2], "en", "ur") for _ in range(2)]
print(json.dumps(outputs))
"""


def argos_env(root: Path) -> dict[str, str]:
    """The environment for an isolated, offline Argos: every path under root, CPU only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGOS_")}
    for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[name] = str(root / name.lower())
    env["ARGOS_DEVICE_TYPE"] = "cpu"
    env["ORT_DISABLE_TELEMETRY"] = "1"  # or onnxruntime writes a device id under the cache
    return env


def test_build_is_deterministic(tmp_path: Path) -> None:
    first = build_package(tmp_path / "a").read_bytes()
    assert build_package(tmp_path / "b").read_bytes() == first


def test_argos_translates_offline(tmp_path: Path) -> None:
    package = build_package(tmp_path / "dist")
    result = subprocess.run(
        [sys.executable, "-c", TRANSLATE, str(package), TEXT],
        env=argos_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout.splitlines()[-1])
    assert first.strip() and first == second
    assert any("\u0600" <= ch <= "\u06ff" for ch in first)  # Urdu (Arabic) script
    # Nothing fetched: MiniSBD and Stanza would have cached their models here.
    assert not (tmp_path / "xdg_data_home" / "argos-translate" / "minisbd").exists()
    assert not (tmp_path / "home" / "stanza_resources").exists()
