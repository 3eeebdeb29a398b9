"""Running a model over many images a batch at a time: the one loop over batches.

Evaluation, the Classify and Compare pages and the benchmarks all run a model (or any
function of a batch) over whole splits through `batched`, so memory is bounded in one
place and the answer comes back where the caller's data lives, on the CPU or a GPU.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

#: Rows per forward pass: bounds activation memory (2000 x 1000 float32 = 8 MB a layer)
#: while keeping each pass large enough to be efficient.
BATCH_ROWS = 2000


@torch.no_grad()
def batched(fn: Callable[..., torch.Tensor], x: torch.Tensor, *extra: torch.Tensor | None,
            device: torch.device | str | None = None, batch: int = BATCH_ROWS) -> torch.Tensor:
    """fn(x[i:i+batch], *(e[i:i+batch] for e in extra)) over every batch of rows, joined.

    x (N, ...) and each extra tensor (N, ...) are cut into the same row batches (an extra
    that is None is passed as None). Each batch goes to `device` (default: x's device) and
    each result comes back to x's device: returns (N, ...) there, without gradients.
    """
    device = x.device if device is None else torch.device(device)
    out = []
    for i in range(0, len(x), batch):
        args = [t if t is None else t[i:i + batch].to(device) for t in (x, *extra)]
        out.append(fn(*args).to(x.device))
    return torch.cat(out)
