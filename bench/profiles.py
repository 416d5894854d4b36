"""How much of everything a run does: `quick` (seconds, for the test suite) and `full` (the record)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    name: str
    levels: tuple[int, ...]  # closed-loop concurrency levels
    seconds: float  # per level
    max_ops: int  # per level
    open_seconds: float  # the open-loop run at half of peak throughput
    cells: tuple[tuple[str, int], ...]  # (backend, server processes)
    bound_seconds: float
    verifier_seconds: float
    ceiling_seconds: float
    scale_small: int
    scale_large: int
    scale_ops: int  # per operation and store size, at concurrency 1
    scale_backends: tuple[str, ...]
    devloop_starts: int
    devloop_changes: int
    peers: bool
    open_loop_processes: tuple[int, ...] = field(default=(2,))  # cells whose ops also run open-loop


QUICK = Profile(
    name="quick",
    levels=(1, 2),
    seconds=0.4,
    max_ops=6,
    open_seconds=0.4,
    cells=(("sqlite", 1),),
    bound_seconds=0.05,
    verifier_seconds=0.1,
    ceiling_seconds=0.3,
    scale_small=50,
    scale_large=200,
    scale_ops=3,
    scale_backends=("sqlite",),
    devloop_starts=1,
    devloop_changes=1,
    peers=False,
    open_loop_processes=(1,),
)

FULL = Profile(
    name="full",
    levels=(1, 8, 32),
    seconds=4.0,
    max_ops=20_000,
    open_seconds=5.0,
    cells=(("sqlite", 1), ("sqlite", 2), ("postgres", 1), ("postgres", 2)),
    bound_seconds=2.0,
    verifier_seconds=2.0,
    ceiling_seconds=3.0,
    scale_small=1_000,
    scale_large=100_000,  # --scale-users 1000000 for the record (several minutes of bulk loading)
    scale_ops=60,
    scale_backends=("sqlite", "postgres"),
    devloop_starts=3,
    devloop_changes=3,
    peers=True,
)
