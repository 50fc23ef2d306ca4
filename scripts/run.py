"""Run Raves locally: web server, Celery worker and scheduler together, on the embedded defaults.

`make run` calls this. It migrates, loads the demo, starts the three processes, waits until
/healthz answers, prints the address and the demo logins, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def main() -> int:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SITE_URL", f"http://{HOST}:{PORT}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    Path(os.environ.get("RAVES_VAR_DIR", ROOT / "var")).mkdir(parents=True, exist_ok=True)
    manage("migrate", "--no-input", "-v", "0")
    demo = manage("load_demo")
    print(demo, end="", flush=True)
    var_dir = Path(os.environ.get("RAVES_VAR_DIR", ROOT / "var"))
    celery = [PYTHON, "-m", "celery", "-A", "config"]
    processes = {
        "web": start([PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"]),
        "worker": start(
            [
                *celery,
                "worker",
                "-Q",
                "alerts,bulk",
                "-l",
                "INFO",
                "--concurrency",
                "2",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ]
        ),
        "scheduler": start([*celery, "beat", "-l", "INFO", "-s", str(var_dir / "celerybeat-schedule")]),
    }
    stop_requested = False

    def request_stop(signum, frame) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    failed = []
    try:
        if wait_until_healthy(processes, lambda: stop_requested):
            print_banner(demo)
        while not stop_requested and all(process.poll() is None for process in processes.values()):
            time.sleep(0.3)
        failed = [name for name, process in processes.items() if process.poll() is not None and not stop_requested]
        for name in failed:
            code = processes[name].returncode
            print(f"\n{name} stopped unexpectedly (exit code {code}); stopping the rest.", flush=True)
    finally:
        stop(processes)
    print("Raves stopped.", flush=True)
    # A supervisor or a script calling `make run` must see that it did not end by request.
    return 1 if failed else 0


def manage(*args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        # The output is captured to print it tidily; on failure it is the only explanation there is.
        print(result.stdout + result.stderr, end="", file=sys.stderr, flush=True)
        raise SystemExit(f"manage.py {args[0]} failed (exit code {result.returncode}); see the messages above.")
    return result.stdout


def start(command: list[str]) -> subprocess.Popen:
    # A session of its own, so Ctrl-C reaches this script only and it stops each child in order.
    return subprocess.Popen(command, cwd=ROOT, start_new_session=True)


def wait_until_healthy(processes: dict[str, subprocess.Popen], stopping, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopping():
        if any(process.poll() is not None for process in processes.values()):
            return False
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return False


def print_banner(demo: str) -> None:
    base = f"http://{HOST}:{PORT}"
    lines = [
        "",
        "=" * 78,
        "Raves is running: web server, Celery worker and scheduler. Ctrl-C stops all three.",
        f"  Address:   {base}/",
        f"  API docs:  {base}/api/docs/",
        demo.rstrip(),
        "Emails are not sent: the worker prints them here.",
        "=" * 78,
        "",
    ]
    print("\n".join(lines), flush=True)


def stop(processes: dict[str, subprocess.Popen], grace: float = 10) -> None:
    for process in processes.values():
        if process.poll() is None:
            # The main process only: Celery's shuts its pool down itself ("warm shutdown").
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
