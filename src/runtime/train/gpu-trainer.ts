/**
 * `backend: "webgpu"` (and "auto" with an adapter): training steps on the generated WGSL kernels
 * (runtime/webgpu/autoencoder.ts), everything of the step on the device. The tfjs session stays as
 * the host mirror of the parameters and Adam state: it is refreshed from the device before every
 * checkpoint and evaluation, and uploaded to the device at the start (fresh or resumed), so
 * checkpoints keep their format (flat float32 params and moments per variable) and --resume works
 * across backends.
 *
 * Supported on the GPU path: ∫R² dμ (either route, the ε-regularised inverse included) with the
 * batch, uniform or grid measure, any activations, a torus latent, and the terms of the codes alone (uniformity, the Isomap anchor: latent-terms.ts, on the
 * host, their z̄ added on the device). The rest is a UserError naming the field.
 */
import { UserError } from "../../util/errors.js";
import { resolveBackend } from "../webgpu/backend.js";
import type { GpuContext } from "../webgpu/device.js";
import { WebGpuAutoencoder, type CurvaturePoints } from "../webgpu/autoencoder.js";
import type { Adam } from "./adam.js";
import { useBackend } from "./backend.js";
import type { TrainConfig } from "./config.js";
import { hasLatentTerms, latentTerms, type LatentTermValues } from "./latent-terms.js";
import type { Parts, Session } from "./session.js";

/** The first config field the GPU path does not support, with why; null when it supports them all. */
export function gpuUnsupported(config: TrainConfig): { field: string; message: string } | null {
  const l = config.loss;
  const hint = "use --backend cpu or wasm";
  if (l.curv > 0 && l.functional !== "R2")
    return { field: "loss.functional", message: `${l.functional} is not on the webgpu backend yet (R2 is): ${hint}` };
  if (l.contractive.weight > 0)
    return { field: "loss.contractive.weight", message: `the contractive term is not on the webgpu backend yet: set it to 0 or ${hint}` };
  for (const term of ["decoderContractive", "isometry", "volume", "conformality"] as const)
    if (l[term].weight > 0)
      return { field: `loss.${term}.weight`, message: `the ${term} term is not on the webgpu backend yet: set it to 0 or ${hint}` };
  return null;
}

export interface TrainingBackend {
  /** Shown in logs and recorded in summary.json. */
  name: string;
  /** Set when steps run on the generated WGSL kernels. */
  gpu: GpuContext | null;
}

/**
 * Resolves `config.backend`: tfjs backends as before; "webgpu" needs an adapter (a UserError with
 * the driver hint otherwise) and a supported config; "auto" takes WebGPU when both hold, else wasm,
 * saying why.
 */
export async function selectTrainingBackend(config: TrainConfig): Promise<TrainingBackend> {
  const requested = config.backend;
  if (requested !== "webgpu" && requested !== "auto") return { name: await useBackend(requested), gpu: null };
  const unsupported = gpuUnsupported(config);
  if (unsupported && requested === "webgpu") throw new UserError(unsupported.field, unsupported.message);
  if (unsupported)
    return { name: `${await useBackend("wasm")} (auto: the webgpu backend does not support this ${unsupported.field})`, gpu: null };
  const choice = await resolveBackend(requested, "wasm");
  if (choice.backend !== "webgpu") {
    await useBackend(choice.backend);
    return { name: choice.note.replace(/^backend /, ""), gpu: null };
  }
  const mirror = await useBackend("webgpu");
  return { name: `webgpu (generated WGSL on ${choice.ctx.describe()}; tfjs ${mirror} for evaluation)`, gpu: choice.ctx };
}

/** The trainer's per-step work on the device, and the transfers to and from the tfjs session. */
export class GpuTrainStep {
  private constructor(
    private readonly ae: WebGpuAutoencoder,
    private readonly config: TrainConfig,
  ) {}

  static async create(ctx: GpuContext, session: Session, config: TrainConfig): Promise<GpuTrainStep> {
    const l = config.loss;
    const ae = await WebGpuAutoencoder.create(
      ctx,
      session.model,
      { recon: l.recon, curv: l.curv, route: l.route, detEpsilon: l.detEpsilon, inverseMetricEpsilon: l.inverseMetricEpsilon },
      { torus: session.torus },
    );
    return new GpuTrainStep(ae, config);
  }

  /** Uploads the session's parameters and the Adam state (zero moments when it has none yet). */
  push(session: Session, adam: Adam): void {
    const p = session.snapshot();
    this.ae.setParams(p["encoder"]!, p["decoder"]!);
    const s = adam.state();
    const slot = (name: "encoder" | "decoder") => {
      const size = p[name]!.length;
      return s.slots[name] ?? { m: new Float32Array(size), v: new Float32Array(size) };
    };
    this.ae.setAdamState({ t: s.t, encoder: slot("encoder"), decoder: slot("decoder") });
  }

  /** Copies the device's parameters and Adam state into the session and `adam` (before checkpoints and evaluation). */
  async pull(session: Session, adam: Adam): Promise<void> {
    const params = await this.ae.readParams();
    const st = await this.ae.readAdamState();
    session.restore(params);
    adam.restore(
      { t: st.t, slots: { encoder: st.encoder, decoder: st.decoder } },
      new Map([...session.vars].map(([k, v]) => [k, v.shape])),
    );
  }

  /**
   * One step on the batch x (n × D), with the batch's Isomap anchor rows when that term is on and the
   * uniform or grid measure's points (null: the encoded batch): loss parts and gradient norm as the
   * tfjs path reports them; the Adam update is applied only when both are finite (the NaN guard).
   */
  async step(
    x: Float32Array,
    n: number,
    anchor: Float32Array | null,
    measure: CurvaturePoints | null = null,
  ): Promise<{ parts: Parts; gradNorm: number }> {
    const l = this.config.loss;
    const d = this.ae.model.latentDim;
    let terms: LatentTermValues | null = null;
    const latent = hasLatentTerms(l) ? (z: Float32Array) => (terms = latentTerms(l, z, n, d, anchor)).zbar : undefined;
    const r = await this.ae.evaluateStep(x, n, latent, measure);
    const extra = terms as LatentTermValues | null;
    const uniformity = extra?.uniformity ?? 0;
    const isomap = extra?.isomap ?? 0;
    const parts: Parts = {
      loss: r.loss + l.uniformity.weight * uniformity + l.isomap.weight * isomap,
      recon: r.recon,
      curv: r.r2,
      r2: r.r2,
      uniformity,
      contractive: 0,
      degenerate: r.degenerate,
      volume: r.volume,
      meanSqrtDetG: r.meanSqrtDetG,
      normError: 0,
      tau: 0,
      decoderContractive: 0,
      isometry: 0,
      volumeVariance: 0,
      conformality: 0,
      isomap,
    };
    if (Number.isFinite(parts.loss) && Number.isFinite(r.gradNorm)) {
      const o = this.config.optimizer;
      await this.ae.applyAdam({ lr: o.lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
    }
    return { parts, gradNorm: r.gradNorm };
  }

  destroy(): void {
    this.ae.destroy();
  }
}
