"""A FIFO of int16 samples: backends resample in blocks but serve fixed-size chunks."""

from __future__ import annotations

from collections import deque

import numpy as np


class SampleFifo:
    """Appends 1-D int16 arrays; ``pop(n)`` returns up to ``n`` samples in order."""

    def __init__(self) -> None:
        self._parts: deque[np.ndarray] = deque()
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def push(self, samples: np.ndarray) -> None:
        if len(samples):
            self._parts.append(np.asarray(samples, dtype=np.int16).reshape(-1))
            self._len += len(samples)

    def pop(self, n: int) -> np.ndarray:
        out: list[np.ndarray] = []
        need = n
        while need > 0 and self._parts:
            head = self._parts[0]
            if len(head) <= need:
                out.append(self._parts.popleft())
                need -= len(head)
            else:
                out.append(head[:need])
                self._parts[0] = head[need:]
                need = 0
        taken = np.concatenate(out) if out else np.zeros(0, dtype=np.int16)
        self._len -= len(taken)
        return taken

    def clear(self) -> None:
        self._parts.clear()
        self._len = 0
