"""Decoders and scalar curvature in plain PyTorch, for the comparison with ricci-gen.

Two ways to get the scalar curvature R of the pullback metric g = JᵀJ of a decoder Ψ: R^d → R^D:

- ``jacfwd3`` (route A, the reference research's method): three nested ``jacfwd`` — metric, then
  Christoffel symbols, then their derivative — under ``vmap``, with g⁻¹ = (g + εI)⁻¹;
- ``gauss`` (route B): J and ∂²Ψ of the decoder by two nested ``jacfwd``, then the Gauss equation
  R = |H|² − |II|² as d×d algebra on inner products of the jet columns.

Index conventions: dg[m, k, l] = ∂_l g_mk; Γ[i, k, l] = Γ^i_kl; dΓ[i, k, l, j] = ∂_j Γ^i_kl;
Riemann R^i_jkl = ∂_k Γ^i_lj − ∂_l Γ^i_kj + Γ^i_kp Γ^p_lj − Γ^i_lp Γ^p_kj, Ric_jl = R^i_jil,
R = g^jl Ric_jl (so a round sphere of radius r has R = 2/r²).

Runs on torch 1.13 (functorch) and torch ≥ 2 (torch.func).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

try:  # torch >= 2
    from torch.func import jacfwd, vmap

    TRANSFORMS = "torch.func"
except ImportError:  # torch 1.13 ships the same transforms as functorch
    from functorch import jacfwd, vmap

    TRANSFORMS = "functorch"


class PeerInputError(Exception):
    """Bad input: the CLI prints `where: message` on one line and exits 2."""

    def __init__(self, where, message):
        super().__init__(f"{where}: {message}")


def _gelu(x):
    # ricci-gen's gelu is the tanh approximation.
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


ACTIVATIONS = {
    "tanh": torch.tanh,
    "sin": torch.sin,
    "cos": torch.cos,
    "softplus": F.softplus,
    "sigmoid": torch.sigmoid,
    "silu": lambda x: x * torch.sigmoid(x),
    "gelu": _gelu,
    "linear": lambda x: x,
}


class Mlp:
    """Dense layers h ↦ σ(h Wᵀ + b), W of shape (units, fanIn) as in ricci-gen's flat layout,
    optionally after the torus embedding z ↦ (cos z, sin z)."""

    def __init__(self, weights, biases, activations, torus=False):
        self.weights = weights
        self.biases = biases
        self.activations = activations
        self.torus = torus

    def __call__(self, z):
        h = torch.cat([torch.cos(z), torch.sin(z)], -1) if self.torus else z
        for W, b, act in zip(self.weights, self.biases, self.activations):
            h = ACTIVATIONS[act](h @ W.t() + b)
        return h

    def parameters(self):
        return self.weights + self.biases

    def to(self, dtype, device, requires_grad):
        conv = lambda t: t.detach().to(dtype=dtype, device=device).requires_grad_(requires_grad)
        return Mlp([conv(w) for w in self.weights], [conv(b) for b in self.biases], self.activations, self.torus)

    def flat(self):
        """Parameters in ricci-gen's order: per layer W (row-major), then b."""
        return torch.cat([t.reshape(-1) for W, b in zip(self.weights, self.biases) for t in (W, b)])


def mlp_from_flat(values, input_width, units, activations, torus, where):
    """The MLP whose ricci-gen flat parameter vector is `values`."""
    expected = sum(u * (i + 1) for i, u in zip([input_width] + units[:-1], units))
    if len(values) != expected:
        raise PeerInputError(where, f"{len(values)} values, but this network has {expected} parameters")
    flat = torch.tensor(values, dtype=torch.float64)
    weights, biases, offset, fan_in = [], [], 0, input_width
    for u in units:
        weights.append(flat[offset : offset + u * fan_in].reshape(u, fan_in))
        offset += u * fan_in
        biases.append(flat[offset : offset + u])
        offset += u
        fan_in = u
    return Mlp(weights, biases, activations, torus)


def mlp_seeded(seed, input_width, units, activations, torus):
    """Glorot-normal weights and zero biases (ricci-gen's distribution, torch's random numbers)."""
    gen = torch.Generator().manual_seed(seed)
    weights, biases, fan_in = [], [], input_width
    for u in units:
        std = math.sqrt(2 / (fan_in + u))
        weights.append(torch.randn(u, fan_in, generator=gen, dtype=torch.float64) * std)
        biases.append(torch.zeros(u, dtype=torch.float64))
        fan_in = u
    return Mlp(weights, biases, activations, torus)


def _layers(spec, where):
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list) or not spec["layers"]:
        raise PeerInputError(where, "needs a non-empty list `layers` of {units, activation}")
    units, acts = [], []
    for i, layer in enumerate(spec["layers"]):
        at = f"{where}.layers[{i}]"
        u, act = layer.get("units"), layer.get("activation", "linear")
        if not isinstance(u, int) or u < 1:
            raise PeerInputError(f"{at}.units", f"must be a positive integer, got {json.dumps(u)}")
        if not isinstance(act, str) or act not in ACTIVATIONS:
            raise PeerInputError(
                f"{at}.activation",
                f"{json.dumps(act)} is not one the PyTorch peer knows ({', '.join(ACTIVATIONS)}); "
                "formula activations run in ricci-gen only",
            )
        units.append(u)
        acts.append(act)
    return units, acts


def _weight_source(weights, network, base_dir):
    """('values', list) or ('seed', n) for `network` ("decoder" or "encoder") under model.json's weights."""
    default_seed = 0 if network == "decoder" else 1
    if weights is None:
        return "seed", default_seed
    where = "weights"
    if "decoder" in weights or "encoder" in weights:
        spec = weights.get(network)
        if spec is None:
            return "seed", default_seed
        where = f"weights.{network}"
    elif "seed" in weights:
        return "seed", weights["seed"] + (0 if network == "decoder" else 1)
    elif network == "encoder" and "values" in weights:
        return "seed", default_seed
    else:
        spec = weights
    if "seed" in spec:
        return "seed", spec["seed"]
    if "values" in spec:
        return "values", spec["values"]
    if "file" in spec:
        path = os.path.join(base_dir, spec["file"])
        try:
            with open(path) as fh:
                data = json.load(fh)
        except (OSError, ValueError) as err:
            raise PeerInputError(f"{where}.file", f"cannot read {path}: {err}") from None
        if isinstance(data, dict):
            return ("values", data[network]) if network in data else ("seed", default_seed)
        if network == "encoder" and where == "weights":
            return "seed", default_seed
        return "values", data
    raise PeerInputError(where, "use {seed}, {values} or {file} (see docs/model-json.md)")


def load_model_json(path):
    """Decoder (and encoder, if any) of a ricci-gen model.json with an MLP decoder."""
    try:
        with open(path) as fh:
            spec = json.load(fh)
    except (OSError, ValueError) as err:
        raise PeerInputError(path, f"cannot read the model: {err}") from None
    base_dir = os.path.dirname(os.path.abspath(path))
    dec = spec.get("decoder", {})
    if dec.get("type") != "mlp":
        raise PeerInputError("decoder.type", "the PyTorch peer runs MLP decoders only")
    d, D = spec.get("latentDim"), spec.get("outputDim")
    if not isinstance(d, int) or not isinstance(D, int):
        raise PeerInputError("latentDim", "latentDim and outputDim must be integers")
    torus = bool(dec.get("torusEmbedding", False))
    units, acts = _layers(dec, "decoder")
    networks = {"decoder": (2 * d if torus else d, units, acts, torus)}
    if spec.get("encoder") is not None:
        e_units, e_acts = _layers(spec["encoder"], "encoder")
        networks["encoder"] = (D, e_units, e_acts, False)
    out = {"name": spec.get("name", os.path.basename(path)), "d": d, "D": D, "encoder": None, "seeded": []}
    for net, (width, u, a, tor) in networks.items():
        kind, value = _weight_source(spec.get("weights"), net, base_dir)
        if kind == "seed":
            out[net] = mlp_seeded(int(value), width, u, a, tor)
            out["seeded"].append(net)
        else:
            out[net] = mlp_from_flat(value, width, u, a, tor, f"weights ({net})")
    return out


def model_from_widths(widths, act, torus, seed):
    """Decoder widths[0] → … → widths[-1] (σ = act, linear output) and the mirrored encoder."""
    d, D, hidden = widths[0], widths[-1], widths[1:-1]
    dec_acts = [act] * len(hidden) + ["linear"]
    enc_units = list(reversed(hidden)) + [d]
    return {
        "name": "-".join(map(str, widths)) + (" (torus)" if torus else ""),
        "d": d,
        "D": D,
        "decoder": mlp_seeded(seed, 2 * d if torus else d, widths[1:], dec_acts, torus),
        "encoder": mlp_seeded(seed + 1, D, enc_units, dec_acts, False),
        "seeded": ["decoder", "encoder"],
    }


# ------------------------------------------------------------------------------------------------
# Route A: three nested jacfwd, as the research computes it
# ------------------------------------------------------------------------------------------------
def _inverse(g, eps):
    if eps:
        g = g + eps * torch.eye(g.shape[-1], dtype=g.dtype, device=g.device)
    return torch.linalg.inv(g)


def curvature_jacfwd3(decoder, z, eps=0.0):
    """(R, det g) at the points z (B, d): metric → Christoffel → ∂Christoffel by nested jacfwd."""

    def metric(u):
        J = jacfwd(decoder)(u)  # (D, d)
        g = J.t() @ J
        return g, g

    def christoffel(u):
        dg, g = jacfwd(metric, has_aux=True)(u)  # dg[m, k, l] = ∂_l g_mk
        g_inv = _inverse(g, eps)
        first = 0.5 * (dg + dg.transpose(-1, -2) - torch.einsum("klm->mkl", dg))
        gamma = torch.einsum("im,mkl->ikl", g_inv, first)
        return gamma, (gamma, g, g_inv)

    def at_point(u):
        dgamma, (gamma, g, g_inv) = jacfwd(christoffel, has_aux=True)(u)  # dgamma[i, k, l, j]
        riem = (
            torch.einsum("iljk->ijkl", dgamma)
            - torch.einsum("ikjl->ijkl", dgamma)
            + torch.einsum("ikp,plj->ijkl", gamma, gamma)
            - torch.einsum("ilp,pkj->ijkl", gamma, gamma)
        )
        ric = torch.einsum("ijil->jl", riem)
        return torch.einsum("jl,jl->", g_inv, ric), g

    R, g = vmap(at_point)(z)
    return R, torch.linalg.det(g)


# ------------------------------------------------------------------------------------------------
# Route B: J and ∂²Ψ by autodiff, the Gauss equation in closed form
# ------------------------------------------------------------------------------------------------
def decoder_jet2(decoder, z):
    """J (B, D, d) and H (B, D, d, d) of the decoder at z (B, d), by jacfwd of jacfwd under vmap."""

    def jacobian(u):
        J = jacfwd(decoder)(u)
        return J, J

    def hessian(u):
        H, J = jacfwd(jacobian, has_aux=True)(u)
        return J, H

    return vmap(hessian)(z)


def gauss_from_jet(J, H, eps=0.0):
    """(R, det g) from J and H: R = |H|² − |II|² with the normal parts taken through
    ⟨n(a), n(b)⟩ = ⟨a, b⟩ − (Jᵀa)ᵀ g⁻¹ (Jᵀb), so only d×d algebra besides the Gram products."""
    g = torch.einsum("bai,baj->bij", J, J)
    g_inv = _inverse(g, eps)
    # Mean curvature vector before projection: g^ij H_ij, and the second fundamental form raised.
    mean = torch.einsum("bij,baij->ba", g_inv, H)
    raised = torch.einsum("bik,bjl,baij->bakl", g_inv, g_inv, H)
    Jt_mean = torch.einsum("bam,ba->bm", J, mean)
    Jt_H = torch.einsum("bam,bakl->bmkl", J, H)
    Jt_raised = torch.einsum("bam,bakl->bmkl", J, raised)
    mean_sq = (mean * mean).sum(-1) - torch.einsum("bm,bmn,bn->b", Jt_mean, g_inv, Jt_mean)
    second_sq = torch.einsum("bakl,bakl->b", raised, H) - torch.einsum(
        "bmkl,bmn,bnkl->b", Jt_raised, g_inv, Jt_H
    )
    return mean_sq - second_sq, torch.linalg.det(g)


def curvature_gauss(decoder, z, eps=0.0):
    J, H = decoder_jet2(decoder, z)
    return gauss_from_jet(J, H, eps)


METHODS = {"jacfwd3": curvature_jacfwd3, "gauss": curvature_gauss}
# Jet columns per point that each method pushes through a dense layer (value, ∂, ∂², ∂³ for A).
JET_ORDER = {"jacfwd3": 3, "gauss": 2}


def jet_columns(d, order):
    return math.comb(d + order, order)


def curvature_loss(decoder, z, method, eps=0.0):
    """∫R² dμ on the batch: mean of R² √det g over the points."""
    R, det = METHODS[method](decoder, z, eps)
    return (R * R * torch.sqrt(det)).mean()
