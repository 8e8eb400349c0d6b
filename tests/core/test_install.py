"""`inpaint_core` as an installed distribution: the wheel pip builds (as `pip install .` and `pip install git+…`
do) holds the library alone and needs only torch; installed into a fresh venv, the README's library example runs
there, outside the repository, with every other third-party package out of reach.

Nothing downloads: the wheel is built without build isolation (this venv's setuptools), and the fresh venv
reaches this venv's torch (and pip) through a `.pth` file, so pip finds its one requirement already there.
"""

import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import torch

from tests.conftest import ROOT

NOT_REQUIRED = ("numpy", "PIL", "diffusers", "gradio", "huggingface_hub", "safetensors", "cv2", "scipy")
BLOCK_OTHERS = textwrap.dedent(
    f"""
    import importlib.abc, sys

    class NotInstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {NOT_REQUIRED!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

    sys.meta_path.insert(0, NotInstalled())
    """
)


def readme_section(title: str) -> dict[str, list[str]]:
    """The fenced code blocks of one README section, by language."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    blocks: dict[str, list[str]] = {}
    for language, code in re.findall(r"```(\w+)\n(.*?)```", section, re.S):
        blocks.setdefault(language, []).append(code)
    return blocks


def run(command: list, cwd: Path, timeout: int = 300) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy holding only what the build reads (the clone's other files stay out)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "inpaint_core", source / "inpaint_core", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run([*pip, "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-w", str(out), "."], source)
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_holds_the_library_alone_and_needs_only_torch(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = Parser().parsestr(archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode())
    assert {name.split("/")[0] for name in names} == {"inpaint_core", wheel.name.split("-")[0] + "-0.1.0.dist-info"}
    packaged = {name for name in names if name.endswith(".py")}
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "inpaint_core").rglob("*.py")}
    assert packaged == on_disk  # every subpackage, none forgotten
    required = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert required == ["torch>=2.4"] and metadata["Provides-Extra"] == "page"


def test_the_page_extra_is_requirements_txt_but_torch():
    """requirements.txt (read by Hugging Face Spaces and the README's commands) and the `page` extra agree."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib comes with Python 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    page = [line for line in lines if line and not line.startswith("torch")]
    assert sorted(project["optional-dependencies"]["page"]) == sorted(page)
    assert [line for line in lines if line.startswith("torch")] == project["dependencies"]


def test_the_readme_library_example_runs_from_the_installed_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path).strip())
    (site / "reuse_torch.pth").write_text(str(Path(torch.__file__).parents[1]) + "\n")  # torch (and pip) reused
    install = readme_section("As a library")["bash"][0]
    assert re.fullmatch(r'pip install "inpaint-encode-inspector @ git\+<repository URL>"\n', install)
    run([str(python), "-m", "pip", "install", "--no-index", "--disable-pip-version-check", str(wheel)], tmp_path)
    (example,) = readme_section("As a library")["python"]
    script = tmp_path / "example.py"
    script.write_text(BLOCK_OTHERS + example + "\nimport inpaint_core\nprint(inpaint_core.__file__)\n")
    printed = run([str(python), str(script)], tmp_path).splitlines()
    assert Path(printed[-1]).is_relative_to(site)  # the installed copy, not the clone's
    shape, grown, eroded = printed[-2].rsplit(" ", 2)
    assert shape == "torch.Size([1, 4, 12, 16])"  # 96×128 pixels at the VAE's ratio, 8
    grown, eroded = float(grown), float(eroded)
    assert grown > 30 * 50 > eroded > 0  # grow_mask_by grows the 30×50 mask; mask_offset=-4 shrinks it
