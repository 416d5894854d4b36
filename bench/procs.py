"""Reading processes from /proc: CPU seconds (utime + stime) and memory of a server's whole process tree.

CPU time charged to the server's own processes holds on a noisy machine, where wall-clock rates do not:
another program on the same cores slows a request down but does not add CPU seconds to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces; fields after it are plain.
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), in seconds; 0 for a process that is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After the name: state(0) ppid(1) ... utime(11) stime(12).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """Direct children of `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB: resident now and the peak since the process started."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


@dataclass
class CpuMeter:
    """CPU seconds of a set of processes between `start()` and `stop()`; pids that appear meanwhile count
    from zero (a new PostgreSQL backend), pids that vanish keep what they had at the start."""

    pids: Iterable[int]

    def start(self) -> None:
        self._before = {p: cpu_seconds(p) for p in self.pids}

    def stop(self, pids: Iterable[int] | None = None) -> float:
        now = {p: cpu_seconds(p) for p in (pids if pids is not None else self.pids)}
        total = 0.0
        for pid, value in now.items():
            total += max(0.0, value - self._before.get(pid, 0.0))
        return total
