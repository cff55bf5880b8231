"""hkcq-press as a package: the wheel built from this repository carries everything a
user needs — layouts, typefaces, the `new` scaffold — and works on its own."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

from hkcq_press.style.fonts import chinese_font_folders


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with hkcq-press installed from a wheel of this checkout (its
    libraries borrowed from the test environment, so nothing of the checkout leaks in)."""
    scratch = tmp_path_factory.mktemp("package")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(scratch / "wheel"),
                    str(ROOT)], check=True, capture_output=True)
    (wheel,) = (scratch / "wheel").glob("hkcq_press-*.whl")
    environment = scratch / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(environment)], check=True)
    python = environment / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(site), str(wheel)], check=True, capture_output=True)
    # The test environment's libraries, after the wheel's own files; not its editable hkcq-press.
    (site / "libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    fonts = environment / "share" / "hkcq-press" / "fonts"
    shutil.copytree(chinese_font_folders()[0], fonts)  # as `hkcq-press fonts install` would leave them
    return environment


def run(environment: Path, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(environment / "bin" / "python"), "-m", "hkcq_press", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def test_the_wheel_is_the_package_that_runs(installed: Path, tmp_path: Path) -> None:
    where = run(installed, "fonts", "list", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert str(installed / "share" / "hkcq-press" / "fonts" / "NotoSerifHK-Regular.ttf") in where.stdout
    located = subprocess.run([str(installed / "bin" / "python"), "-c", "import hkcq_press; print(hkcq_press.__file__)"],
                             capture_output=True, text=True, check=True).stdout
    assert located.startswith(str(installed)), located


def test_new_then_build_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    started = run(installed, "new", "my-edition", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    built = run(installed, "build", cwd=tmp_path / "my-edition")
    assert built.returncode == 0, built.stderr
    written = sorted(path.name for path in (tmp_path / "my-edition" / "dist").iterdir() if not path.name.startswith("."))
    assert written == ["my-first-edition.epub", "my-first-edition.pdf"]


def test_preview_from_the_wheel_serves_its_own_pages(installed: Path, tmp_path: Path) -> None:
    assert run(installed, "new", "my-edition", cwd=tmp_path).returncode == 0
    preview = subprocess.Popen([str(installed / "bin" / "python"), "-m", "hkcq_press", "preview", "--page-size", "book"],
                               cwd=tmp_path / "my-edition", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert preview.stdout is not None
    try:
        url = preview.stdout.readline().split(" at ")[1].split()[0]
        assert "built in" in preview.stdout.readline()
        pages = {path: urllib.request.urlopen(url + path, timeout=60).read() for path in ("", "print", "preview.css")}
    finally:
        preview.send_signal(signal.SIGINT)
        out, err = preview.communicate(timeout=60)
    assert preview.returncode == 0, err
    assert b"Your headline here, as it should print" in pages[""]
    assert b'<section class="page" id="page-2"' in pages["print"]
    assert b".problems" in pages["preview.css"]


def test_the_lowest_versions_tested_are_the_declared_lower_bounds() -> None:
    """constraints/lowest.txt (`make test-lowest`, CI's lowest-versions job) pins each
    dependency at its lower bound in pyproject.toml: what is declared is what is tested."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    declared = {}
    for line in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]:
        requirement = Requirement(line)
        lower = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        assert len(lower) == 1, f"{line}: every dependency has one lower bound"
        declared[canonicalize_name(requirement.name)] = Version(lower[0])
    pinned = {}
    for line in (ROOT / "constraints" / "lowest.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pinned[canonicalize_name(name)] = Version(version)
    assert pinned == declared
