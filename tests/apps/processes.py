"""Real Celery worker and beat processes for the tests that need them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "var" / "test-logs"


class CeleryProcesses:
    """Starts, kills and restarts worker processes against the test database and queue."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.workers: list[subprocess.Popen] = []
        self.beat: subprocess.Popen | None = None
        self._n = 0
        self._names: dict[int, str] = {}
        self._tmp = tempfile.mkdtemp(prefix="farside-beat-")
        LOG_DIR.mkdir(parents=True, exist_ok=True)

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(LOG_DIR / f"{name}.log", "ab")
        return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *args], cwd=ROOT, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_worker(self) -> subprocess.Popen:
        self._n += 1
        name = f"w{self._n}-{os.getpid()}"
        proc = self._spawn(["worker", "--pool", "solo", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE,
                            "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
                            "-l", "INFO"], name)
        self.workers.append(proc)
        self._names[proc.pid] = name
        return proc

    def ensure_workers(self, count: int) -> None:
        """Top up to ``count`` live workers. A worker that exited on its own (we did not
        kill it) is a failure to report, not something to paper over."""
        for worker in self.workers:
            if worker.poll() is not None:
                raise RuntimeError(f"a worker exited by itself with code {worker.returncode}:\n"
                                   + self._log_tail(worker))
        while len(self.workers) < count:
            self.start_worker()

    def _log_tail(self, proc: subprocess.Popen, lines: int = 30) -> str:
        name = self._names.get(proc.pid, "")
        try:
            return "\n".join((LOG_DIR / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def start_beat(self) -> None:
        if self.beat is None or self.beat.poll() is not None:
            self.beat = self._spawn(["beat", "-S", "celery.beat:PersistentScheduler", "-s",
                                     os.path.join(self._tmp, "schedule"), "-l", "INFO"], f"beat-{os.getpid()}")

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        proc.send_signal(sig)
        proc.wait(timeout=10)
        self.workers = [w for w in self.workers if w is not proc]

    def stop_all(self) -> None:
        procs = [*self.workers, *([self.beat] if self.beat else [])]
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.workers, self.beat = [], None


def purge_queue() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(settings.CELERY_TASK_DEFAULT_QUEUE)


def restart_redis() -> None:
    """Stop Redis without saving (queued messages are lost, as in a crash) and start it again."""
    import shutil

    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"],
                   capture_output=True, timeout=10)
    deadline = time.monotonic() + 10
    while _redis_up() and time.monotonic() < deadline:
        time.sleep(0.1)
    os.makedirs("/var/lib/redis", exist_ok=True)
    os.makedirs("/var/log/redis", exist_ok=True)
    subprocess.run([shutil.which("redis-server") or "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1",
                    "--port", "6379", "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                    "--logfile", "/var/log/redis/farside.log"], check=True, timeout=10)
    deadline = time.monotonic() + 20
    while not _redis_up():
        if time.monotonic() > deadline:
            raise RuntimeError("Redis did not come back after the restart")
        time.sleep(0.1)


def _redis_up() -> bool:
    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False
