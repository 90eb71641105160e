"""scripts/system-deps.sh picks a browser the tests can drive, and never apt-installs Ubuntu's snap stub.

Each test runs the script against a fake os-release file (OS_RELEASE) with a PATH of stubs in a
temporary folder: `apt-get` only records what it was asked to install, so nothing is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

SCRIPT = REPO / "scripts" / "system-deps.sh"
BASH = shutil.which("bash") or "/bin/bash"
UBUNTU = 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
DEBIAN = 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
# What Ubuntu's chromium-browser package puts in /usr/bin: a launcher of the snap.
SNAP_LAUNCHER = (
    "#!/bin/sh\nif ! [ -x /snap/bin/chromium ]; then echo 'requires the chromium snap' >&2; exit 1; fi\nexec /snap/bin/chromium \"$@\"\n"
)
# Debian's /usr/bin/chromium is a launcher script too, of a real build.
DEBIAN_LAUNCHER = '#!/bin/sh\n# Chromium launcher\nexec /usr/lib/chromium/chromium "$@"\n'


class Machine:
    """A fake machine: an os-release file, a folder of commands on PATH, and a log of apt-get calls."""

    def __init__(self, root: Path, os_release: str):
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        self.os_release = root / "os-release"
        self.os_release.write_text(os_release)
        self.apt_log = root / "apt.log"
        for tool in ("readlink", "head", "grep"):  # what the script runs besides bash built-ins
            real = shutil.which(tool)
            assert real, f"{tool} is missing"
            (self.bin / tool).symlink_to(real)
        self.command("id", "echo 0")  # as root: no sudo
        self.command("java")
        self.command("npm")
        self.command("apt-get", f'echo "$*" >> {self.apt_log}')

    def command(self, name: str, body: str = "exit 0", folder: Path | None = None) -> Path:
        path = (folder or self.bin) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
        return path

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        environment = {"PATH": str(self.bin), "HOME": str(self.root / "home"), "OS_RELEASE": str(self.os_release)}
        result = subprocess.run([BASH, str(SCRIPT), *args], env=environment | env, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        return result

    def installed(self) -> list[str]:
        """The packages apt-get was asked to install."""
        if not self.apt_log.exists():
            return []
        return [
            word
            for line in self.apt_log.read_text().splitlines()
            if line.startswith("install")
            for word in line.split()
            if not word.startswith("-") and word != "install"
        ]


@pytest.fixture
def ubuntu(tmp_path: Path) -> Machine:
    return Machine(tmp_path, UBUNTU)


def test_ubuntu_with_only_the_snap_stub_says_what_to_set_and_installs_no_chromium(ubuntu: Machine):
    (ubuntu.bin / "chromium-browser").write_text(SNAP_LAUNCHER)
    (ubuntu.bin / "chromium-browser").chmod(0o755)
    result = ubuntu.run()
    assert ubuntu.installed() == []
    lines = [line for line in result.stderr.splitlines() if "CHROMIUM_PATH" in line]
    assert len(lines) == 1 and "snap" in lines[0], result.stderr
    assert ubuntu.run("--browser").stdout == ""


def test_ubuntu_still_installs_the_other_packages(ubuntu: Machine):
    (ubuntu.bin / "java").unlink()
    ubuntu.run()
    assert ubuntu.installed() == ["default-jre-headless"]


def test_a_link_to_the_snap_binary_is_not_a_browser(ubuntu: Machine):
    snap = ubuntu.command("snap", folder=ubuntu.root / "usr" / "bin")
    (ubuntu.bin / "chromium").symlink_to(snap)
    assert ubuntu.run("--browser").stdout == ""


def test_ubuntu_uses_google_chrome_when_chromium_is_a_snap(ubuntu: Machine):
    (ubuntu.bin / "chromium-browser").write_text(SNAP_LAUNCHER)
    (ubuntu.bin / "chromium-browser").chmod(0o755)
    chrome = ubuntu.command("google-chrome-stable")
    assert ubuntu.run("--browser").stdout.strip() == str(chrome)
    assert ubuntu.run().stderr == "" and ubuntu.installed() == []


def test_ubuntu_uses_playwrights_chromium_when_there_is_one(ubuntu: Machine):
    chrome = ubuntu.command("chrome", folder=ubuntu.root / "home" / ".cache" / "ms-playwright" / "chromium-1200" / "chrome-linux64")
    assert ubuntu.run("--browser").stdout.strip() == str(chrome)


def test_a_real_chromium_on_ubuntu_is_used_as_on_the_hosted_runner(ubuntu: Machine):
    build = ubuntu.command("chrome", folder=ubuntu.root / "usr" / "local" / "share" / "chromium" / "chrome-linux")
    (ubuntu.bin / "chromium").symlink_to(build)
    assert ubuntu.run("--browser").stdout.strip() == str(ubuntu.bin / "chromium")
    assert ubuntu.run().stderr == "" and ubuntu.installed() == []


def test_chromium_path_wins(ubuntu: Machine):
    ubuntu.command("google-chrome")
    assert ubuntu.run("--browser", CHROMIUM_PATH="/opt/browser/chrome").stdout.strip() == "/opt/browser/chrome"
    assert ubuntu.run(CHROMIUM_PATH="/opt/browser/chrome").stderr == "" and ubuntu.installed() == []


def test_an_ubuntu_derivative_is_ubuntu(tmp_path: Path):
    mint = Machine(tmp_path, MINT)
    assert "CHROMIUM_PATH" in mint.run().stderr and mint.installed() == []


def test_debian_installs_its_chromium_package(tmp_path: Path):
    debian = Machine(tmp_path, DEBIAN)
    debian.run()
    assert debian.installed() == ["chromium"]


def test_debians_chromium_launcher_is_a_browser(tmp_path: Path):
    debian = Machine(tmp_path, DEBIAN)
    (debian.bin / "chromium").write_text(DEBIAN_LAUNCHER)
    (debian.bin / "chromium").chmod(0o755)
    assert debian.run("--browser").stdout.strip() == str(debian.bin / "chromium")
    assert debian.run().stderr == "" and debian.installed() == []


def test_the_makefile_hands_the_browser_to_the_tests():
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert 'CHROMIUM_PATH="$$(./scripts/system-deps.sh --browser)"' in recipe and "pytest" in recipe
    assert os.access(SCRIPT, os.X_OK)
