"""PEP 517 build backend of the rsk Python bindings. Hand-written because the build must work offline: pip builds in
an isolated environment, and setuptools or flit would have to come from PyPI; this needs only the standard library.
The wheel carries a copy of librsk.so (from RSK_LIBRARY, else the checkout's kernels/build) and its sha256."""
import base64
import hashlib
import io
import json
import os
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NAME, VERSION = PROJECT["name"], PROJECT["version"]
SOURCES = ["pyproject.toml", "build_backend/rsk_build.py", *sorted(f"rsk/{p.name}" for p in (ROOT / "rsk").glob("*.py"))]
EPOCH = (1980, 1, 1, 0, 0, 0)


def _metadata() -> bytes:
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\nSummary: {PROJECT['description']}\n"
            f"License: {PROJECT['license']['text']}\nRequires-Python: {PROJECT['requires-python']}\n").encode()


def _library() -> bytes:
    """librsk.so's bytes, checked against the kernel build's manifest when there is one."""
    override = os.environ.get("RSK_LIBRARY")
    path = Path(override) if override else ROOT.parent.parent / "kernels" / "build" / "librsk.so"
    if not path.is_file():
        raise RuntimeError(f"rsk: {path} not found: run `npm run build:kernels` in the rsk checkout, or set RSK_LIBRARY "
                           f"(RSK_LIBRARY={override or '(unset)'})")
    data = path.read_bytes()
    manifest = path.parent / "manifest.json"
    if manifest.is_file():
        recorded = json.loads(manifest.read_text())["sha256"]
        if hashlib.sha256(data).hexdigest() != recorded:
            raise RuntimeError(f"rsk: {path} does not match the sha256 in {manifest}: rebuild it")
    return data


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def get_requires_for_build_wheel(config_settings=None):
    """Nothing to install: the backend is standard library only."""
    return []


def get_requires_for_build_sdist(config_settings=None):
    """Nothing to install: the backend is standard library only."""
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    """A platform wheel: the package, the library copy and its recorded sha256."""
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    library = _library()
    files = {path: (ROOT / path).read_bytes() for path in SOURCES if path.startswith("rsk/")}
    files["rsk/librsk.so"] = library
    files["rsk/librsk.json"] = json.dumps({"sha256": hashlib.sha256(library).hexdigest()}).encode()
    info = f"{NAME}-{VERSION}.dist-info"
    files[f"{info}/METADATA"] = _metadata()
    files[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: rsk_build\nRoot-Is-Purelib: false\nTag: py3-none-{platform}\n".encode()
    record = "".join(f"{path},sha256={_digest(data)},{len(data)}\n" for path, data in files.items()) + f"{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = record.encode()
    name = f"{NAME}-{VERSION}-py3-none-{platform}.whl"
    with zipfile.ZipFile(Path(wheel_directory) / name, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files.items():
            entry = zipfile.ZipInfo(path, EPOCH)
            entry.external_attr = (0o755 if path.endswith(".so") else 0o644) << 16
            wheel.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return name


def build_sdist(sdist_directory, config_settings=None):
    """The sources (no library: building a wheel from it needs RSK_LIBRARY)."""
    base = f"{NAME}-{VERSION}"
    name = f"{base}.tar.gz"
    files = {path: (ROOT / path).read_bytes() for path in SOURCES}
    files["PKG-INFO"] = _metadata()
    with tarfile.open(Path(sdist_directory) / name, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, data in files.items():
            entry = tarfile.TarInfo(f"{base}/{path}")
            entry.size, entry.mode = len(data), 0o644
            archive.addfile(entry, io.BytesIO(data))
    return name
