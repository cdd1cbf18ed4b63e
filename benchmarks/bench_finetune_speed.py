"""Fine-tuning step time: 1 thread against all threads, fp32 against bf16 autocast; and
whether bf16 costs accuracy.

    nice python benchmarks/bench_finetune_speed.py [--steps 6] [--rounds 2] [--psnr-steps 100]

Part 1 times the training step the wizard runs (SRResNet x4 as bundled: 64 channels,
16 blocks; batch 16, 96 px HR patches, channels_last, L1, Adam) in four settings,
interleaved round by round so a busy machine slows all of them alike. Prints one
table: seconds per step, and the speed-up against 1 thread fp32.

Part 2 trains two copies of the same weights for --psnr-steps identical steps (same
batches), one in fp32 and one with bf16 autocast (fp32 master weights), and scores
both on Set5 (Y-PSNR, border 4). bf16 is kept on where the CPU has it only if the
two are within 0.05 dB.

Measured 2026-12-04 (session 7) on the idle 2-core box (AVX512-BF16), ``--steps 6 --rounds 2 --psnr-steps 40``,
seconds per step: 1 thread fp32 1.745, 2 threads fp32 0.912 (1.91x), 1 thread bf16 0.941 (1.86x), 2 threads
bf16 0.495 (3.53x). Set5 after 40 identical steps from srresnet_x4: fp32 30.629 dB in 75 s, bf16 30.627 dB
(-0.002 dB) in 41 s: bf16 stays on.
Earlier, with other work running (load 3-7): 2 threads fp32 3.74-4.80 s against 1 thread 1.30-1.58: under
load two OpenMP threads lose to one, hence train.threads = -1 (measured during the run).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets"


def _model(seed: int = 0):
    import torch

    from srgan_studio.training.archs import build_model

    torch.manual_seed(seed)
    weights = ROOT / "resources" / "models" / "srresnet_x4.safetensors"
    if weights.is_file():
        from srgan_studio.training.checkpoint import load_weights

        state, arch, _ = load_weights(weights)
        model = build_model(arch["type"], **arch["options"])
        model.load_state_dict(state)
        return model
    return build_model("srresnet", scale=4)


def _step(model, opt, lr_t, hr_t, bf16: bool) -> float:
    import contextlib

    import torch
    import torch.nn.functional as F

    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    with ctx:
        sr = model(lr_t)
    loss = F.l1_loss(sr.float(), hr_t)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss.detach())


def _dataset(batch: int):
    from srgan_studio.training.data import PatchDataset

    folder = DATA / "train" / "T91"
    return PatchDataset(folder, 96, 4)


def _tensors(ds, seed: int, step: int, batch: int):
    import torch

    lr_np, hr_np = ds.batch(seed, step, batch)
    fmt = torch.channels_last
    return torch.from_numpy(lr_np).contiguous(memory_format=fmt), torch.from_numpy(hr_np).contiguous(memory_format=fmt)


def step_times(steps: int, rounds: int, batch: int) -> dict[tuple[int, str], float]:
    import os

    import torch

    ds = _dataset(batch)
    settings = [(1, "fp32"), (os.cpu_count() or 1, "fp32"), (1, "bf16"), (os.cpu_count() or 1, "bf16")]
    models = {s: _model().to(memory_format=torch.channels_last).train() for s in settings}
    opts = {s: torch.optim.Adam(m.parameters(), lr=1e-4) for s, m in models.items()}
    times: dict[tuple[int, str], list[float]] = {s: [] for s in settings}
    for r in range(rounds):
        for s in settings:
            torch.set_num_threads(s[0])
            _step(models[s], opts[s], *_tensors(ds, 0, 0, batch), s[1] == "bf16")  # warm-up
            for k in range(steps):
                lr_t, hr_t = _tensors(ds, 1, r * steps + k, batch)
                t0 = time.perf_counter()
                _step(models[s], opts[s], lr_t, hr_t, s[1] == "bf16")
                times[s].append(time.perf_counter() - t0)
            print(
                f"  round {r + 1}: {s[0]} thread(s) {s[1]}: {np.median(times[s][-steps:]):.3f} s/step", file=sys.stderr
            )
    return {s: float(np.median(v)) for s, v in times.items()}


def psnr_after(steps: int, batch: int, threads: int) -> dict[str, float]:
    import torch

    from srgan_studio.core.metrics import psnr_y
    from srgan_studio.training.data import load_eval_pairs
    from srgan_studio.training.validation import run_model

    torch.set_num_threads(threads)
    ds = _dataset(batch)
    pairs = load_eval_pairs(DATA / "val" / "Set5", 4)
    base = _model().to(memory_format=torch.channels_last).train()
    out = {}
    for precision in ("fp32", "bf16"):
        model = copy.deepcopy(base)
        opt = torch.optim.Adam(model.parameters(), lr=2e-4)
        t0 = time.perf_counter()
        for step in range(steps):
            _step(model, opt, *_tensors(ds, 2, step, batch), precision == "bf16")
        model.eval()
        out[precision] = float(np.mean([psnr_y(run_model(model, lr), hr, 4) for _, lr, hr in pairs]))
        print(
            f"  {precision}: {steps} steps in {time.perf_counter() - t0:.0f} s, Set5 {out[precision]:.3f} dB",
            file=sys.stderr,
        )
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=6, help="timed steps per setting and round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--psnr-steps", type=int, default=100, help="0 skips part 2")
    p.add_argument(
        "--psnr-threads", type=int, default=1, help="threads for part 2 (its result does not depend on them)"
    )
    p.add_argument("--skip-times", action="store_true", help="part 2 only")
    args = p.parse_args()
    from srgan_studio.core.cpu import cpu_has_bf16

    print(f"CPU has native bf16: {cpu_has_bf16()}")
    if not args.skip_times:
        t = step_times(args.steps, args.rounds, args.batch)
        ref = t[(1, "fp32")]
        print("| threads | precision | seconds per step | speed-up |")
        print("|---|---|---|---|")
        for (threads, precision), v in t.items():
            print(f"| {threads} | {precision} | {v:.3f} | {ref / v:.2f}x |")
    if args.psnr_steps:
        ps = psnr_after(args.psnr_steps, args.batch, args.psnr_threads)
        diff = ps["bf16"] - ps["fp32"]
        verdict = "keep bf16" if abs(diff) <= 0.05 else "bf16 costs accuracy: use fp32"
        print(
            f"Set5 Y-PSNR after {args.psnr_steps} identical steps: fp32 {ps['fp32']:.3f} dB, "
            f"bf16 {ps['bf16']:.3f} dB ({diff:+.3f}; {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
