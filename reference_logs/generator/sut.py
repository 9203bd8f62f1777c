"""The tiny NumPy system under test: it looks each sample's answer up in a response table.

Not a model: every sample's response bytes are computed before the run (a classifier's
label, a detector's boxes, BERT's logits ...) and the SUT hands LoadGen a pointer into
that table. What it simulates is a device: queries are answered in order by one worker
thread, with a fixed service time per sample in performance runs.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class ResponseTable:
    """The response bytes of every sample: sample i is data[offsets[i]:offsets[i + 1]]."""

    data: npt.NDArray[np.uint8]
    offsets: npt.NDArray[np.int64]

    @classmethod
    def fixed(cls, rows: npt.NDArray[Any]) -> ResponseTable:
        """One row per sample, all of one size (int32 labels, float32 logits ...)."""
        rows = np.ascontiguousarray(rows)
        width = rows.dtype.itemsize * (rows.size // rows.shape[0] if rows.shape[0] else 0)
        data = rows.view(np.uint8).reshape(-1)
        offsets = np.arange(rows.shape[0] + 1, dtype=np.int64) * width
        return cls(data, offsets)

    @classmethod
    def ragged(cls, payloads: list[bytes]) -> ResponseTable:
        """One byte string per sample, of any length (empty allowed)."""
        sizes = np.fromiter((len(p) for p in payloads), dtype=np.int64, count=len(payloads))
        offsets = np.zeros(len(payloads) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        data = np.frombuffer(b"".join(payloads), dtype=np.uint8).copy()
        return cls(data, offsets)

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def payload(self, index: int) -> bytes:
        """The response bytes of one sample."""
        return self.data[self.offsets[index] : self.offsets[index + 1]].tobytes()

    def save(self, path: Path) -> None:
        """Store the table (NumPy .npz) for the LoadGen child processes."""
        np.savez(path, data=self.data, offsets=self.offsets)

    @classmethod
    def load(cls, path: Path) -> ResponseTable:
        """Read a table written by save()."""
        with np.load(path) as f:
            return cls(np.ascontiguousarray(f["data"]), np.ascontiguousarray(f["offsets"]))


class TinySUT:
    """A SUT that answers from a ResponseTable, simulating a device with a fixed service time.

    Queries are handed to one worker thread, which answers them in order and completes
    each batch with lg.QuerySamplesComplete. The simulated device starts a batch when
    the query has arrived (the time issue_queries was called) and it has finished the
    previous batch, so the Python overhead of handing a query over and building its
    responses overlaps the service time instead of adding to it. Each response points
    into the table, which stays alive for the whole process (LoadGen copies the bytes it
    logs during the call).
    """

    def __init__(self, lg: Any, table: ResponseTable, service_s_per_sample: float, batch: int) -> None:
        self.lg = lg
        self.table = table
        self.service = service_s_per_sample
        self.batch = max(1, batch)
        self.loaded = np.zeros(len(table), dtype=bool)
        self.queue: queue.Queue[tuple[float, list[Any]] | None] = queue.Queue()
        self.worker = threading.Thread(target=self._work, name="tiny-sut", daemon=True)
        self.worker.start()

    # QSL callbacks
    def load_samples(self, indices: list[int]) -> None:
        """Mark samples as loaded (LoadGen must issue only loaded samples)."""
        self.loaded[np.asarray(indices, dtype=np.int64)] = True

    def unload_samples(self, indices: list[int]) -> None:
        """Mark samples as unloaded."""
        self.loaded[np.asarray(indices, dtype=np.int64)] = False

    # SUT callbacks
    def issue_queries(self, samples: list[Any]) -> None:
        """Hand a query to the worker, stamped with its arrival time."""
        self.queue.put((time.perf_counter(), list(samples)))

    def flush_queries(self) -> None:
        """Nothing is buffered."""

    def stop(self) -> None:
        """Let the worker finish and join it."""
        self.queue.put(None)
        self.worker.join()

    def _work(self) -> None:
        lg = self.lg
        base = self.table.data.ctypes.data
        offsets = self.table.offsets
        device_free = 0.0  # when the simulated device finishes the batches it has started
        while True:
            item = self.queue.get()
            if item is None:
                return
            arrived, samples = item
            for start in range(0, len(samples), self.batch):
                chunk = samples[start : start + self.batch]
                idx = np.fromiter((s.index for s in chunk), dtype=np.int64, count=len(chunk))
                if not self.loaded[idx].all():
                    raise RuntimeError("LoadGen issued a sample that is not loaded")
                begin = offsets[idx]
                size = offsets[idx + 1] - begin
                responses = [
                    lg.QuerySampleResponse(s.id, base + int(b), int(n))
                    for s, b, n in zip(chunk, begin.tolist(), size.tolist(), strict=True)
                ]
                device_free = max(device_free, arrived) + self.service * len(chunk)
                pace(device_free)
                lg.QuerySamplesComplete(responses)


def pace(deadline: float) -> None:
    """Wait until time.perf_counter() reaches `deadline` (sleep, then spin the last 0.3 ms)."""
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return
        time.sleep(left - 0.0001 if left > 0.0003 else 0)
