"""Everything the emulator remembers, rebuilt whole by ``reset()`` (so no test sees another's caches, jobs,
quota windows, scripts or log).

>>> from notebookllm.emulator.config import EmulatorConfig
>>> State(EmulatorConfig()).log.count()
0
"""

from __future__ import annotations

from .batches import BatchStore
from .caches import CacheStore
from .config import EmulatorConfig
from .faults import RandomFaults, RepeatCounter, Scripts
from .files import FileStore
from .generation import Generator
from .latency import Latency
from .log import RequestLog
from .quotas import Quotas


class State:
    """The mutable state of one emulator (one per reset)."""

    def __init__(self, config: EmulatorConfig) -> None:
        clock = config.clock
        self.log = RequestLog()
        self.scripts = Scripts()
        self.repeats = RepeatCounter()
        self.random_faults = RandomFaults(config.fault_rate, config.fault_kinds, config.seed)
        self.latency = Latency(config.latency_s, config.latency_distribution, config.seed)
        self.quotas = Quotas(
            rpm=config.rpm, tpm=config.tpm, rpd=config.rpd, window_s=config.quota_window_s, clock=clock
        )
        self.caches = CacheStore(min_tokens=config.min_cache_tokens, clock=clock)
        self.files = FileStore(clock=clock)
        self.aliases = dict(config.aliases)  # moved by Emulator.point_alias until the next reset
        self.generator = Generator(
            seed=config.seed, responder=config.responder, caches=self.caches, files=self.files, aliases=self.aliases
        )
        self.batches = BatchStore(
            generator=self.generator,
            files=self.files,
            pending_s=config.batch_pending_s,
            running_s=config.batch_running_s,
            output_delay_s=config.batch_output_delay_s,
            error_codes=config.batch_error_codes,
            clock=clock,
            log=lambda: self.log,
        )
