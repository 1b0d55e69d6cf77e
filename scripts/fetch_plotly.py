"""Fetch plotly.js's cartesian partial bundle (scatter, bar, heatmap, … : every trace the dashboards
and the workbench draw) from the npm registry into static/vendor/plotly/, at the version the
installed Python plotly ships, with a gzip copy beside it. Issue 16 §3: the full plotly.min.js of
the Python package is 4.8 MB; this one is about a quarter of it, and gzip sends a third of that.

    .venv/bin/python scripts/fetch_plotly.py

Run by `make install`. Idempotent: a bundle already there is kept. `npm pack` (which checks the
registry's integrity hash) when npm is installed, else the tarball over HTTPS, checked against the
registry's sha512. Without network the dashboards fall back to the full bundle of the package."""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

PACKAGE = "plotly.js-cartesian-dist-min"
MEMBER = "package/plotly-cartesian.min.js"
REGISTRY = "https://registry.npmjs.org"
TARGET_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "plotly"


def bundle_name(version: str) -> str:
    return f"plotly-cartesian-{version}.min.js"


def _tarball_with_npm(version: str, workdir: Path) -> bytes | None:
    npm = shutil.which("npm")
    if npm is None:
        return None
    done = subprocess.run([npm, "pack", f"{PACKAGE}@{version}", "--silent"], cwd=workdir, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        return None
    return (workdir / done.stdout.strip().splitlines()[-1]).read_bytes()


def _tarball_over_https(version: str) -> bytes:
    with urllib.request.urlopen(f"{REGISTRY}/{PACKAGE}/{version}", timeout=60) as response:
        dist = json.load(response)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=300) as response:
        data = response.read()
    algorithm, _, expected = dist["integrity"].partition("-")
    if algorithm != "sha512" or base64.b64encode(hashlib.sha512(data).digest()).decode() != expected:
        raise SystemExit(f"{PACKAGE}@{version}: the tarball does not match the registry's integrity hash")
    return data


def main() -> int:
    from plotly.offline import get_plotlyjs_version

    version = get_plotlyjs_version()
    target = TARGET_DIR / bundle_name(version)
    if target.exists() and (target.parent / (target.name + ".gz")).exists():
        print(f"plotly.js {version} cartesian bundle already in {target.parent}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        data = _tarball_with_npm(version, Path(tmp)) or _tarball_over_https(version)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        script = archive.extractfile(MEMBER).read()
    if f"v{version}".encode() not in script[:400]:
        raise SystemExit(f"{PACKAGE}@{version}: {MEMBER} does not announce plotly.js v{version}")
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    for old in TARGET_DIR.glob("plotly-cartesian-*.min.js*"):
        old.unlink()
    target.write_bytes(script)
    # mtime 0: the same bytes on every install (the page's ETag and caches do not churn).
    (target.parent / (target.name + ".gz")).write_bytes(gzip.compress(script, compresslevel=9, mtime=0))
    print(f"plotly.js {version} cartesian bundle: {len(script):,} bytes -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
