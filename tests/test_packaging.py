"""The library stands alone (it never imports the web app) and the project works installed from
a wheel, outside a checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.helpers import PRACTICES, ROOT

IMPORT_EVERY_KB_MODULE = """
import json, pkgutil, importlib, sys
import kb
names = [m.name for m in pkgutil.walk_packages(kb.__path__, "kb.") if m.name != "kb.__main__"]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def test_the_library_imports_nothing_from_the_web_app() -> None:
    """Every kb module imported in a clean process: no ``web`` module gets loaded."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_KB_MODULE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    assert "kb.cli" in found["imported"] and "kb.store" in found["imported"]
    web = [name for name in found["loaded"] if name == "web" or name.startswith("web.")]
    assert web == [], f"kb imports the web app: {web}"


def _venv_on_installed_dependencies(folder: Path) -> Path:
    """A venv whose site-packages sees this environment's dependencies but not its ``kb``:
    ``--system-site-packages`` for the base interpreter's, and a plain path entry (whose own
    ``.pth`` files, such as an editable install's finder, are not processed) for ours."""
    venv.create(folder, system_site_packages=True, with_pip=False)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if sys.prefix != sys.base_prefix:  # we run in a venv: its packages are the installed dependencies
        (Path(site) / "installed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


SERVE_TWO_PAGES = """
import kb, web
from web import create_app
client = create_app({"TESTING": True}).test_client()
home, recueil, css = client.get("/"), client.get("/recueil"), client.get("/static/style.css")
print(kb.__file__, web.__file__, home.status_code, recueil.status_code, css.status_code, sep="\\n")
print(recueil.get_data(as_text=True))
"""


@pytest.mark.slow
def test_a_wheel_installed_outside_the_checkout_builds_and_serves(tmp_path: Path) -> None:
    """``pip install`` of the wheel (not editable): templates, static files and the library's data
    come with it, and the index and practices folders default to the working directory."""
    source, wheels = tmp_path / "source", tmp_path / "wheels"
    # built from a copy: setuptools writes build/ and *.egg-info/ beside the sources
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(".*", "index", "build", "dist", "*.egg-info", "tests", "cache")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", wheels, source],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    (wheel,) = wheels.glob("recueil-*.whl")
    python = _venv_on_installed_dependencies(tmp_path / "venv")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--ignore-installed", wheel],
        check=True,
    )
    work = tmp_path / "work"
    shutil.copytree(PRACTICES, work / "practices")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KB_INDEX_DIR", "KB_PRACTICES_DIR")}
    built = subprocess.run(
        [tmp_path / "venv" / "bin" / "kb", "build"], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert built.returncode == 0, built.stderr
    assert (work / "index" / "kb.sqlite").is_file()
    served = subprocess.run(
        [python, "-c", SERVE_TWO_PAGES], cwd=work, env=env, capture_output=True, text=True, check=True, timeout=300
    )
    kb_file, web_file, home, recueil, css, page = served.stdout.split("\n", 5)
    venv_dir = str(tmp_path / "venv")
    assert kb_file.startswith(venv_dir) and web_file.startswith(venv_dir), (kb_file, web_file)
    assert (home, recueil, css) == ("200", "200", "200")
    assert page.count('<article class="fiche"') == len(list(PRACTICES.glob("*.md")))
    assert "Sommaire" in page and 'href="/recueil.css"' in page
