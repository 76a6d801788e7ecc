#!/usr/bin/env python3
"""The PyTorch peer of `ricci-gen bench`: the same decoder, curvature and training step in PyTorch.

    python3 peers/torch_ricci.py --model examples/torus-ae.model.json --batch 128 --threads 1 \\
        --json peer.json
    python3 peers/torch_ricci.py --widths 2,64,64,64,3 --act tanh --batch 256 --kinds R,step
    python3 peers/torch_ricci.py --validate

Methods (see torch_ricci_geometry.py): `jacfwd3` (route A by three nested jacfwd, the reference
research's method) and `gauss` (route B: J and ∂²Ψ by autodiff, the Gauss equation in closed form).
Kinds, timed as the median of --reps calls after --warmup:
- `R`: R at a batch of latent points, forward only;
- `step`: ∫R² dμ (mean of R²√det g) at the points, and its gradient with respect to the decoder;
- `ae-step`: a full autoencoder step as ricci-gen trains: encoder forward, reconstruction MSE,
  λ·∫R² at the detached codes, backward to all weights, and an Adam update.
A MatMul of the model's largest layer over all jet columns of the batch is timed in the same run
(GFLOP/s), as the ceiling the step's FLOPs can be compared with.

--eval-points FILE --eval-out FILE writes R and det g from both methods at given points (float64
by default): the check against ricci-gen's own kernels. Bad input exits 2 with one line.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import torch_ricci_geometry as geo  # noqa: E402

KINDS = ("R", "step", "ae-step")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"torch_ricci.py: {message} (see --help)\n")
        sys.exit(2)


def int_list(text, flag):
    try:
        values = [int(v) for v in text.split(",") if v.strip() != ""]
    except ValueError:
        raise geo.PeerInputError(flag, f"must be a comma-separated list of integers, got '{text}'") from None
    if not values or min(values) < 1:
        raise geo.PeerInputError(flag, f"needs positive integers, got '{text}'")
    return values


def name_list(text, allowed, flag):
    names = [v.strip() for v in text.split(",") if v.strip() != ""]
    for n in names:
        if n not in allowed:
            raise geo.PeerInputError(flag, f"unknown '{n}' (use {', '.join(allowed)})")
    return names


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_calls(fn, reps, warmup, device, max_seconds):
    """Median wall ms and median process CPU ms (all threads) of `reps` calls after `warmup`; wall ms
    is None, with a reason, when one call exceeds max_seconds. On a busy machine the CPU time of a
    one-thread run stays close to its wall time on a quiet one."""
    wall, cpu = [], []
    for i in range(warmup + reps):
        sync(device)
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        sync(device)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        if dt > max_seconds:
            return None, None, f"skipped: one call took {dt:.1f} s > --max-seconds {max_seconds:g}"
        if i >= warmup:
            wall.append(dt)
            cpu.append(dc)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000, "ok"


def make_task(kind, method, model, z, x, opt):
    """The function one timed call runs."""
    dec, enc = model["decoder"], model["encoder"]
    if kind == "R":
        return lambda: geo.METHODS[method](dec, z, opt.eps)

    if kind == "step":

        def step():
            for p in dec.parameters():
                p.grad = None
            geo.curvature_loss(dec, z, method, opt.eps).backward()

        return step

    params = dec.parameters() + enc.parameters()
    adam = torch.optim.Adam(params, lr=opt.lr)

    def ae_step():
        adam.zero_grad(set_to_none=True)
        codes = enc(x)
        recon = ((dec(codes) - x) ** 2).mean()
        loss = recon + opt.lam * geo.curvature_loss(dec, codes.detach(), method, opt.eps)
        loss.backward()
        adam.step()

    return ae_step


def matmul_rate(model, batch, dtype, device, reps):
    """GFLOP/s of the largest decoder layer applied to every jet column of a route-B batch."""
    dec = model["decoder"]
    W = max(dec.weights, key=lambda w: w.numel())
    units, fan_in = W.shape
    rows = batch * geo.jet_columns(model["d"], geo.JET_ORDER["gauss"])
    a = torch.randn(rows, fan_in, dtype=dtype, device=device)
    b = torch.randn(fan_in, units, dtype=dtype, device=device)
    ms, _, _ = time_calls(lambda: a @ b, max(reps, 5), 2, device, 1e9)
    gflops = 2 * rows * fan_in * units / (ms * 1e6)
    return {"method": "matmul", "kind": "gemm", "batch": batch, "shape": [rows, fan_in, units], "ms": ms, "gflops": gflops}


def bench(model, opt, device, dtype, log):
    rows = []
    gen = torch.Generator().manual_seed(opt.seed)
    for batch in opt.batch:
        z = (torch.rand(batch, model["d"], generator=gen, dtype=torch.float64) * 2 - 1).to(dtype=dtype, device=device)
        x = torch.rand(batch, model["D"], generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
        if "ae-step" in opt.kinds and model["encoder"] is None:
            raise geo.PeerInputError("--kinds", "ae-step needs a model with an encoder")
        for method in opt.methods:
            for kind in opt.kinds:
                grad = kind != "R"
                net = {
                    **model,
                    "decoder": model["decoder"].to(dtype, device, grad),
                    "encoder": model["encoder"].to(dtype, device, grad) if model["encoder"] else None,
                }
                task = make_task(kind, method, net, z, x, opt)
                ms, cpu_ms, status = time_calls(task, opt.reps, opt.warmup, device, opt.max_seconds)
                row = {"method": method, "kind": kind, "batch": batch, "threads": torch.get_num_threads(), "ms": ms,
                       "usPerPoint": None if ms is None else ms * 1000 / batch, "cpuMs": cpu_ms, "status": status}
                rows.append(row)
                shown = status if ms is None else f"{ms:.1f} ms, {row['usPerPoint']:.1f} µs/point (CPU {cpu_ms:.1f} ms)"
                log(f"{method} {kind} batch {batch}: {shown}")
        if not opt.no_matmul:
            mm = matmul_rate(model, batch, dtype, device, opt.reps)
            mm["threads"] = torch.get_num_threads()
            rows.append(mm)
            log(f"matmul {mm['shape'][0]}×{mm['shape'][1]} by {mm['shape'][1]}×{mm['shape'][2]}: {mm['gflops']:.1f} GFLOP/s")
    return rows


def eval_points(model, opt, device):
    """R and det g from each method at the points of --eval-points (a JSON list of d-vectors)."""
    try:
        with open(opt.eval_points) as fh:
            pts = json.load(fh)
        z = torch.tensor(pts, dtype=torch.float64)
    except (OSError, ValueError, TypeError) as err:
        raise geo.PeerInputError("--eval-points", f"needs a JSON list of points: {err}") from None
    if z.dim() != 2 or z.shape[1] != model["d"]:
        raise geo.PeerInputError("--eval-points", f"points must have {model['d']} coordinates each")
    dtype = torch.float64 if opt.dtype == "float64" else torch.float32
    dec = model["decoder"].to(dtype, device, False)
    out = {}
    for method in opt.methods:
        R, det = geo.METHODS[method](dec, z.to(dtype=dtype, device=device), opt.eps)
        out[method] = {"R": R.double().cpu().tolist(), "detg": det.double().cpu().tolist()}
    return out


def write_json(path, data):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def parse_args(argv):
    p = OneLineParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="ricci-gen model.json with an MLP decoder (and an encoder for ae-step)")
    p.add_argument("--widths", help="decoder widths instead of --model, e.g. 2,64,64,64,3 (encoder mirrored)")
    p.add_argument("--act", default="tanh", help="hidden activation with --widths (default tanh)")
    p.add_argument("--torus", action="store_true", help="with --widths: torus embedding (cos z, sin z) first")
    p.add_argument("--methods", default="jacfwd3,gauss", help="jacfwd3 (route A, nested jacfwd), gauss (route B)")
    p.add_argument("--kinds", default="R,step,ae-step", help="R, step, ae-step")
    p.add_argument("--batch", default="128", help="batch sizes, comma-separated")
    p.add_argument("--reps", type=int, default=5, help="timed calls per row (median)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, help="torch intra-op threads (inter-op threads are set to 1)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--eps", type=float, default=0.0, help="g⁻¹ = (g + εI)⁻¹, the research's option (default 0)")
    p.add_argument("--lambda", dest="lam", type=float, default=0.1, help="λ_curv of step and ae-step")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate of ae-step")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=60.0, help="skip a row when one call takes longer")
    p.add_argument("--no-matmul", action="store_true", help="skip the MatMul GFLOP/s ceiling")
    p.add_argument("--json", help="write the results here (atomically)")
    p.add_argument("--validate", action="store_true", help="check both methods against closed forms and each other")
    p.add_argument("--eval-points", help="JSON list of latent points: write R there by each method")
    p.add_argument("--eval-out", help="where --eval-points writes its JSON")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    opt = p.parse_args(argv)
    for flag, value, low in (("--reps", opt.reps, 1), ("--warmup", opt.warmup, 0), ("--threads", opt.threads, 1)):
        if value is not None and value < low:
            raise geo.PeerInputError(flag, f"must be ≥ {low}, got {value}")
    if not opt.eps >= 0:
        raise geo.PeerInputError("--eps", f"must be ≥ 0, got {opt.eps}")
    opt.methods = name_list(opt.methods, tuple(geo.METHODS), "--methods")
    opt.kinds = name_list(opt.kinds, KINDS, "--kinds")
    opt.batch = int_list(opt.batch, "--batch")
    if opt.eval_points and not opt.eval_out:
        raise geo.PeerInputError("--eval-out", "is required with --eval-points")
    return opt


def build_model(opt):
    if opt.model and opt.widths:
        raise geo.PeerInputError("--widths", "give either --model or --widths, not both")
    if opt.model:
        return geo.load_model_json(opt.model)
    widths = int_list(opt.widths or "2,64,64,64,3", "--widths")
    if len(widths) < 3:
        raise geo.PeerInputError("--widths", "needs at least d, one hidden width and D")
    if opt.act not in geo.ACTIVATIONS:
        raise geo.PeerInputError("--act", f"unknown '{opt.act}' (use {', '.join(geo.ACTIVATIONS)})")
    return geo.model_from_widths(widths, opt.act, opt.torus, opt.seed)


def environment(device, dtype):
    return {
        "torch": torch.__version__,
        "transforms": geo.TRANSFORMS,
        "python": platform.python_version(),
        "device": str(device) + (f" ({torch.cuda.get_device_name(0)})" if device.type == "cuda" else ""),
        "dtype": str(dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(),
        "host": platform.machine(),
    }


def main(argv):
    opt = parse_args(argv)
    if opt.threads:
        torch.set_num_threads(opt.threads)
        torch.set_num_interop_threads(1)
    log = (lambda line: None) if opt.quiet else (lambda line: print(f"torch_ricci: {line}", file=sys.stderr, flush=True))
    if opt.validate:
        from torch_ricci_validate import validate

        return 0 if validate(log) else 1
    device = torch.device(opt.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise geo.PeerInputError("--device", "cuda is not available to this torch (use cpu)")
    dtype = torch.float64 if opt.dtype == "float64" else torch.float32
    model = build_model(opt)
    if model["seeded"]:
        log(f"{' and '.join(model['seeded'])}: seeded weights (torch's random numbers, not ricci-gen's)")
    if opt.eval_points:
        write_json(opt.eval_out, eval_points(model, opt, device))
        return 0
    rows = bench(model, opt, device, dtype, log)
    dec = model["decoder"]
    result = {
        "peer": "torch_ricci",
        "env": environment(device, dtype),
        "model": {
            "name": model["name"],
            "decoderWidths": [dec.weights[0].shape[1]] + [w.shape[0] for w in dec.weights],
            "activations": dec.activations,
            "torus": dec.torus,
        },
        "options": {"eps": opt.eps, "lambda": opt.lam, "lr": opt.lr, "reps": opt.reps, "warmup": opt.warmup},
        "rows": rows,
    }
    if opt.json:
        write_json(opt.json, result)
    else:
        print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except geo.PeerInputError as err:
        sys.stderr.write(f"torch_ricci.py: {err}\n")
        sys.exit(2)
