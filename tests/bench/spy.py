"""Sample a running server with py-spy and say where its time goes, per edit.

py-spy (PyPI) attaches to the server's pid from outside, so the server runs
unmodified. run.py --py-spy installs it into .tools/bench when missing.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

RATE = 1000  # samples per second
PLUMBING = re.compile(r"\((asyncio/|threading\.py|concurrent/)|^<module> |^run \(|start_io")

FRAME_RE = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


@dataclass
class Recording:
    proc: subprocess.Popen
    out: Path
    started: float


def start(py_spy: str, pid: int, out: Path) -> Recording:
    proc = subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(RATE),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.5)  # let it attach before the measured edits start
    return Recording(proc, out, time.perf_counter())


def stop(rec: Recording) -> str | None:
    """Stop sampling; return an error text if py-spy failed."""
    if rec.proc.poll() is None:
        rec.proc.send_signal(signal.SIGINT)
    try:
        _, err = rec.proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        rec.proc.kill()
        _, err = rec.proc.communicate()
    if not rec.out.exists():
        return (err or b"").decode(errors="replace")[-800:] or "py-spy wrote nothing"
    return None


def _short(frame: str, with_line: bool = False) -> str:
    m = FRAME_RE.match(frame.strip())
    if not m:
        return frame.strip()
    file = m.group("file")
    for marker in ("site-packages/", "server/", "lib/python3.11/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    if with_line and m.group("line"):
        file = f"{file}:{m.group('line')}"
    return f"{m.group('func')} ({file})"


def summarize(path: Path, edits: int, top: int = 18) -> list[str]:
    """Top functions by inclusive and by self time, in ms per edit."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    own_line: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        raw = [f for f in stack.split(";") if "(" in f]  # drop the process/thread frames
        if not raw:
            continue
        frames = [_short(f) for f in raw]
        own_line[_short(raw[-1], with_line=True)] += n
        total += n
        for f in set(frames):
            inclusive[f] += n
        own[frames[-1]] += n
    per_edit = 1000.0 / RATE / max(edits, 1)  # ms per sample per edit
    out = [
        f"{total} samples at {RATE} Hz over {edits} edits = {total * per_edit:.2f} ms busy per edit"
    ]
    out.append("inclusive (ms/edit, % of busy), event-loop plumbing left out:")
    shown = [(f, n) for f, n in inclusive.most_common() if not PLUMBING.search(f)][:top]
    for f, n in shown:
        out.append(f"  {n * per_edit:8.2f}  {100 * n / max(total, 1):5.1f}%  {f}")
    out.append("self (ms/edit, % of busy):")
    for f, n in own.most_common(top):
        out.append(f"  {n * per_edit:8.2f}  {100 * n / max(total, 1):5.1f}%  {f}")
    out.append("self by line (ms/edit, % of busy):")
    for f, n in own_line.most_common(top):
        out.append(f"  {n * per_edit:8.2f}  {100 * n / max(total, 1):5.1f}%  {f}")
    return out
