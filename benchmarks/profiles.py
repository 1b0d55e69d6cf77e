"""The top of a profile for a step that missed its target: py-spy's raw (collapsed-stack) output
summarised as the functions with the most samples, inclusive ("total": on the stack) and own
("self": the leaf), or — where py-spy cannot run — cProfile's top by cumulative time.

py-spy samples a subprocess it starts itself (`py-spy record -- python manage.py …`), which needs
no ptrace permission beyond a parent's over its child; attaching to a running process (`py-spy
dump --pid`) may be forbidden in a container, so the bench never relies on it.
"""
from __future__ import annotations

import cProfile
import io
import pstats
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


_LINE = re.compile(r":\d+\)$")


@dataclass(frozen=True)
class Hot:
    frame: str
    total: int      # samples with the frame anywhere on the stack
    own: int        # samples with the frame as the leaf

    def share(self, samples: int) -> float:
        return self.total / samples if samples else 0.0


def parse_collapsed(text: str, within: str | None = None) -> tuple[int, list[Hot]]:
    """(samples, frames by total samples, most first) from py-spy's `--format raw` text: one
    line per distinct stack, `outer;…;leaf count`. A frame counted once per stack even if it
    recurses, and by function (a frame's line number dropped, so a function's lines add up). With `within`, only the stacks through a frame containing that text count, from
    that frame down (the step, without Django's start-up around it)."""
    total: Counter = Counter()
    own: Counter = Counter()
    samples = 0
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        try:
            n = int(count)
        except ValueError:
            continue
        frames = [_LINE.sub(")", f) for f in stack.split(";") if not f.startswith("process ")]
        if within is not None:
            at = next((i for i, f in enumerate(frames) if within in f), None)
            if at is None:
                continue
            frames = frames[at + 1:] or frames[at:]
        samples += n
        for f in set(frames):
            total[f] += n
        own[frames[-1]] += n
    hot = [Hot(f, t, own.get(f, 0)) for f, t in total.items()]
    hot.sort(key=lambda h: (-h.total, -h.own, h.frame))
    return samples, hot


_BORING = ("<frozen ", "<module> (manage.py", "execute_from_command_line", "run_from_argv", "BaseCommand.execute",
           "ManagementUtility.execute", "<module> (", "main (manage.py")


def format_top(samples: int, hot: list[Hot], limit: int = 15, skip_boring: bool = True, own_limit: int = 8) -> str:
    """The top `limit` frames by total as text lines (total %, own %, frame), then the top
    `own_limit` by own time — where a deep stack of middleware actually spends it. Django's
    command plumbing (on every stack, so 100% and saying nothing) is left out."""
    kept = [h for h in hot if not (skip_boring and any(b in h.frame for b in _BORING))]
    out = [f"{'total':>6} {'own':>6}  frame ({samples} samples)"]

    def line(h: Hot) -> str:
        return f"{h.total / samples:6.1%} {h.own / samples:6.1%}  {h.frame}" if samples else h.frame

    out += [line(h) for h in kept[:limit]]
    own = sorted((h for h in kept if h.own), key=lambda h: (-h.own, h.frame))[:own_limit]
    if own:
        out.append("— where the samples were (own time):")
        out += [line(h) for h in own]
    return "\n".join(out)


def py_spy_path() -> str | None:
    here = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def py_spy_command(out: Path, argv: list[str], rate: int = 100, nonblocking: bool = True) -> list[str] | None:
    """`py-spy record` around argv writing raw collapsed stacks to `out`, or None without py-spy."""
    exe = py_spy_path()
    if exe is None:
        return None
    cmd = [exe, "record", "--format", "raw", "--rate", str(rate), "--output", str(out)]
    if nonblocking:
        cmd.append("--nonblocking")
    return [*cmd, "--", *argv]


def py_spy_works() -> bool:
    """Whether py-spy can sample a child here (it needs ptrace of its own child)."""
    exe = py_spy_path()
    if exe is None:
        return False
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "probe.txt"
        try:
            subprocess.run([exe, "record", "--format", "raw", "--rate", "200", "--output", str(out), "--",
                            sys.executable, "-c", "sum(i * i for i in range(3_000_000))"],
                           capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return out.exists() and out.stat().st_size > 0


def profile_file_top(path: Path, limit: int = 15, within: str | None = None) -> str:
    samples, hot = parse_collapsed(path.read_text(errors="replace"), within)
    return format_top(samples, hot, limit)


def cprofile_top(fn: Callable[[], object], limit: int = 15) -> str:
    """The fallback: run fn under cProfile in this process and return its top by cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    try:
        fn()
    finally:
        prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(limit)
    return "(cProfile, cumulative)\n" + buf.getvalue().strip()
