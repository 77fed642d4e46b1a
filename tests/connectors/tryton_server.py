"""Start a real trytond (party + sale modules, SQLite) for the Tryton connector tests.

Creating the database runs every module's install (about a minute on this machine), so the
initialised database is kept as a template in the user cache, keyed by trytond's version and
the admin password, and copied for each test session.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import trytond

BIN = Path(sys.executable).parent
DATABASE = "farside"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(directory: Path, port: int) -> Path:
    conf = directory / "trytond.conf"
    conf.write_text(f"[database]\nuri = sqlite://\npath = {directory}\n[web]\nlisten = 127.0.0.1:{port}\n")
    return conf


def template(password: str) -> Path:
    key = hashlib.sha256(f"{trytond.__version__}:{password}".encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "farside" / f"tryton-{key}"
    db = cache / f"{DATABASE}.sqlite"
    if db.exists():
        return db
    building = cache.with_name(cache.name + f".building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    (building / f"{DATABASE}.sqlite").touch()
    passfile = building / "admin-password"
    passfile.write_text(password)
    conf = _config(building, 0)
    subprocess.run([str(BIN / "trytond-admin"), "-c", str(conf), "-d", DATABASE, "--all", "--email",
                    "admin@farside-demo.example", "-u", "party", "sale", "--activate-dependencies"],
                   env={**os.environ, "TRYTONPASSFILE": str(passfile)}, check=True, timeout=600,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    passfile.unlink()
    try:
        building.rename(cache)
    except OSError:  # another process finished first
        shutil.rmtree(building, ignore_errors=True)
    return db


class TrytonServer:
    def __init__(self, directory: Path, password: str) -> None:
        self.directory = directory
        shutil.copy(template(password), directory / f"{DATABASE}.sqlite")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "trytond.log"
        conf = _config(directory, self.port)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([str(BIN / "trytond"), "-c", str(conf), "-d", DATABASE],
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"trytond exited: {self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("trytond did not start listening within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
