"""`torch_ricci.py --validate`: both curvature methods against closed forms and against each other,
in float64.

The decoders are ones whose image is known exactly:
- an MLP 2 → 5 (sin) → 3 (linear) whose output is the sphere of radius r in latitude/longitude
  (cos u cos v = (cos(u+v) + cos(u−v))/2, …): R = 2/r²;
- the torus embedding (cos z, sin z) followed by a linear layer 3·I: a flat torus, R = 0;
- a torus of revolution with radii a > b: R = 2 cos u / (b (a + b cos u));
- a round 3-sphere of radius r (d = 3): R = 6/r²;
and random MLPs with every activation, d = 2 and 3, where the two methods must agree.
"""
import math

import torch

import torch_ricci_geometry as geo

F64 = torch.float64


def sphere_mlp(r):
    W1 = torch.tensor([[1, 1], [1, -1], [1, 1], [-1, 1], [1, 0]], dtype=F64)
    b1 = torch.tensor([math.pi / 2, math.pi / 2, 0, 0, 0], dtype=F64)  # sin(a + π/2) = cos a
    W2 = r * torch.tensor([[0.5, 0.5, 0, 0, 0], [0, 0, 0.5, 0.5, 0], [0, 0, 0, 0, 1]], dtype=F64)
    return geo.Mlp([W1, W2], [b1, torch.zeros(3, dtype=F64)], ["sin", "linear"])


def flat_torus_mlp():
    return geo.Mlp([3 * torch.eye(4, dtype=F64)], [torch.zeros(4, dtype=F64)], ["linear"], torus=True)


def torus_of_revolution(a, b):
    def psi(z):
        u, v = z[..., 0], z[..., 1]
        rho = a + b * torch.cos(u)
        return torch.stack([rho * torch.cos(v), rho * torch.sin(v), b * torch.sin(u)], -1)

    return psi


def three_sphere(r):
    def psi(z):
        c, t, p = z[..., 0], z[..., 1], z[..., 2]
        return r * torch.stack(
            [
                torch.cos(c),
                torch.sin(c) * torch.cos(t),
                torch.sin(c) * torch.sin(t) * torch.cos(p),
                torch.sin(c) * torch.sin(t) * torch.sin(p),
            ],
            -1,
        )

    return psi


def uniform(n, lows, highs, seed):
    gen = torch.Generator().manual_seed(seed)
    lo = torch.tensor(lows, dtype=F64)
    hi = torch.tensor(highs, dtype=F64)
    return lo + (hi - lo) * torch.rand(n, len(lows), generator=gen, dtype=F64)


def closed_form_cases():
    """(name, decoder, points, expected R at the points, absolute scale of R)."""
    z_sphere = uniform(64, [-1.2, -3.0], [1.2, 3.0], 1)
    z_torus = uniform(64, [-3.0, -3.0], [3.0, 3.0], 2)
    z_s3 = uniform(32, [0.4, 0.4, -3.0], [2.7, 2.7, 3.0], 3)
    a, b = 3.0, 1.0
    return [
        ("sphere r=2 as a sin MLP", sphere_mlp(2.0), z_sphere, torch.full((64,), 0.5, dtype=F64), 0.5),
        ("flat torus: torus embedding + linear", flat_torus_mlp(), z_torus, torch.zeros(64, dtype=F64), 1.0),
        (
            "torus of revolution a=3 b=1",
            torus_of_revolution(a, b),
            z_torus,
            2 * torch.cos(z_torus[:, 0]) / (b * (a + b * torch.cos(z_torus[:, 0]))),
            1.0,
        ),
        ("3-sphere r=1.5", three_sphere(1.5), z_s3, torch.full((32,), 6 / 1.5**2, dtype=F64), 6 / 1.5**2),
    ]


def check_closed_forms(log):
    ok = True
    for name, psi, z, expected, scale in closed_form_cases():
        for method, fn in geo.METHODS.items():
            R, _ = fn(psi, z)
            err = (R - expected).abs().max().item() / scale
            good = err < 1e-9
            ok &= good
            log(f"{'ok  ' if good else 'FAIL'} {method:8s} {name}: max |R − closed form| / {scale:g} = {err:.2e}")
    return ok


def check_agreement(log):
    ok = True
    for d in (2, 3):
        for act in ("tanh", "sin", "cos", "softplus", "sigmoid", "silu", "gelu"):
            torus = act == "sin" and d == 2
            model = geo.model_from_widths([d, 16, 12, 5], act, torus, seed=d)
            z = uniform(16, [-1.0] * d, [1.0] * d, 10 + d)
            Ra, _ = geo.curvature_jacfwd3(model["decoder"], z)
            Rb, _ = geo.curvature_gauss(model["decoder"], z)
            rel = ((Ra - Rb).abs() / Rb.abs().clamp(min=1e-3 * Rb.abs().max().item())).max().item()
            good = rel < 1e-7
            ok &= good
            log(f"{'ok  ' if good else 'FAIL'} jacfwd3 vs gauss, {act} d={d}{' torus' if torus else ''}: max rel diff {rel:.2e}")
    return ok


def check_epsilon(log):
    """ε > 0 regularises g⁻¹ only: on the sphere, route A's R moves continuously away from 2/r² as ε
    grows (by O(ε) for small ε)."""
    z = uniform(8, [-1.0, -1.0], [1.0, 1.0], 4)
    R0, _ = geo.curvature_jacfwd3(sphere_mlp(2.0), z)
    R1, _ = geo.curvature_jacfwd3(sphere_mlp(2.0), z, eps=1e-6)
    R2, _ = geo.curvature_jacfwd3(sphere_mlp(2.0), z, eps=0.1)
    small = (R1 - R0).abs().max().item()
    large = (R2 - R0).abs().max().item()
    good = small < 1e-5 and large > 1e-3
    log(f"{'ok  ' if good else 'FAIL'} ε: |R(ε=1e-6) − R(0)| = {small:.1e}, |R(ε=0.1) − R(0)| = {large:.1e}")
    return good


def validate(log):
    results = [check_closed_forms(log), check_agreement(log), check_epsilon(log)]
    ok = all(results)
    log("validation " + ("passed" if ok else "FAILED"))
    return ok
