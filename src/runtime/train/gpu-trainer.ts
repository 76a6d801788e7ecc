/**
 * `backend: "webgpu"` (and "auto" with an adapter): training steps on the generated WGSL kernels
 * (runtime/webgpu/autoencoder.ts), everything of the step on the device. The tfjs session stays as
 * the host mirror of the parameters and Adam state: it is refreshed from the device before every
 * checkpoint and evaluation, and uploaded to the device at the start (fresh or resumed), so
 * checkpoints keep their format (flat float32 params and moments per variable) and --resume works
 * across backends.
 *
 * Supported on the GPU path: every functional (∫R² on the device; F and W from the device's R,
 * √det g and g on the host: host-functional.ts), measure and term, any activations, a torus latent.
 * The terms that couple a batch's points run on the host between the passes: those of the codes
 * (latent-terms.ts), those of the metric (chart-terms.ts: isometry, volume, conformality, both
 * contractive terms). The encoder's contractive term takes at most 16 inputs; more is a UserError
 * naming the field.
 */
import { UserError } from "../../util/errors.js";
import { resolveBackend } from "../webgpu/backend.js";
import type { GpuContext } from "../webgpu/device.js";
import { WebGpuAutoencoder, type CurvaturePoints, type FunctionalInput } from "../webgpu/autoencoder.js";
import type { HostMetricTerms, JetMetrics, JetTermFlags } from "../webgpu/jet-terms.js";
import type { Model } from "../../model/types.js";
import type { Adam } from "./adam.js";
import { useBackend } from "./backend.js";
import type { TrainConfig } from "./config.js";
import { chartTermsWithGradient, contractiveWithGradient, mixCodes, type ChartWeights } from "./chart-terms.js";
import { hostFunctional, type HostFunctionalResult } from "./host-functional.js";
import { hasLatentTerms, latentTerms, type LatentTermValues } from "./latent-terms.js";
import type { RegularizerPoints } from "./regularizer-points.js";
import type { Parts, Session } from "./session.js";

/** Forward-jet columns of the encoder's Jacobian on webgpu: one per input (the tiled products hold them in registers). */
const CONTRACTIVE_INPUTS = 16;

/** The first config field the GPU path does not support, with why; null when it supports them all. */
export function gpuUnsupported(config: TrainConfig, model?: Model): { field: string; message: string } | null {
  const l = config.loss;
  const inputs = model?.encoder?.inputDim ?? 0;
  if (l.contractive.weight > 0 && inputs > CONTRACTIVE_INPUTS)
    return {
      field: "loss.contractive.weight",
      message: `on the webgpu backend the contractive term takes the encoder's Jacobian as forward jets, one column per input: at most ${CONTRACTIVE_INPUTS} inputs, and this encoder has ${inputs}; set it to 0 or use --backend onnx`,
    };
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
export async function selectTrainingBackend(config: TrainConfig, model?: Model): Promise<TrainingBackend> {
  const requested = config.backend;
  if (requested !== "webgpu" && requested !== "auto") return { name: await useBackend(requested), gpu: null };
  const unsupported = gpuUnsupported(config, model);
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

const chartWeights = (config: TrainConfig): ChartWeights => ({
  isometry: config.loss.isometry.weight,
  volume: config.loss.volume.weight,
  conformality: config.loss.conformality.weight,
});

const jetTermFlags = (session: Session): JetTermFlags => ({
  chart: session.usesRegularizerPoints,
  decoderContractive: session.weights.decoderContractive > 0,
  contractive: session.weights.contractive > 0,
});

interface MetricTermValues {
  isometry: number;
  volumeVariance: number;
  conformality: number;
  contractive: number;
  decoderContractive: number;
}

/**
 * The host's share of the terms of G in one step (chart-terms.ts): z̃ from z, then the values and
 * the adjoints from the metrics read back; `values` is filled in when the step has run.
 */
function hostMetricTerms(
  session: Session,
  config: TrainConfig,
  n: number,
  regularizer: RegularizerPoints | null,
): { host: HostMetricTerms; values: MetricTermValues } | null {
  const flags = jetTermFlags(session);
  const d = session.latentDim;
  if (!flags.chart && !flags.decoderContractive && !flags.contractive) return null;
  const l = config.loss;
  const values: MetricTermValues = { isometry: 0, volumeVariance: 0, conformality: 0, contractive: 0, decoderContractive: 0 };
  const host: HostMetricTerms = {
    adjoints: (m: JetMetrics): JetMetrics => {
      const out: JetMetrics = {};
      if (m.chart) {
        const c = chartTermsWithGradient(m.chart, n, d, chartWeights(config), l.detEpsilon);
        Object.assign(values, { isometry: c.isometry, volumeVariance: c.volumeVariance, conformality: c.conformality });
        out.chart = c.gbar;
      }
      if (m.decoderTrace) {
        const c = contractiveWithGradient(m.decoderTrace, n, l.decoderContractive);
        values.decoderContractive = c.value;
        out.decoderTrace = c.adjoint;
      }
      if (m.encoderTrace) {
        const c = contractiveWithGradient(m.encoderTrace, n, l.contractive);
        values.contractive = c.value;
        out.encoderTrace = c.adjoint;
      }
      return out;
    },
  };
  if (flags.chart) {
    if (!regularizer || regularizer.alpha.length !== n) throw new Error("the chart-fixing terms need regulariser points for this batch");
    host.chartPoints = (z) => mixCodes(z, regularizer.alpha, regularizer.perm, n, d, session.torus);
  }
  return { host, values };
}

/** The trainer's per-step work on the device, and the transfers to and from the tfjs session. */
export class GpuTrainStep {
  private constructor(
    private readonly ae: WebGpuAutoencoder,
    private readonly config: TrainConfig,
    /** The host mirror: its potential (F, W) is trained on the host, with `potentialAdam`. */
    private readonly session: Session,
    private readonly potentialAdam: Adam,
  ) {}

  static async create(ctx: GpuContext, session: Session, config: TrainConfig, potentialAdam: Adam): Promise<GpuTrainStep> {
    const l = config.loss;
    const ae = await WebGpuAutoencoder.create(
      ctx,
      session.model,
      {
        recon: l.recon,
        curv: l.curv,
        route: l.route,
        detEpsilon: l.detEpsilon,
        inverseMetricEpsilon: l.inverseMetricEpsilon,
        functional: l.functional === "R2" ? "R2" : "host",
      },
      { torus: session.torus, jetTerms: jetTermFlags(session) },
    );
    return new GpuTrainStep(ae, config, session, potentialAdam);
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
    // The potential and τ (F, W) live on the host: keep their values.
    const host = Object.fromEntries(session.potentialVars.map((k) => [k, Float32Array.from(session.variable(k).dataSync())]));
    session.restore({ ...host, ...params });
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
    regularizer: RegularizerPoints | null = null,
  ): Promise<{ parts: Parts; gradNorm: number }> {
    const l = this.config.loss;
    const d = this.ae.model.latentDim;
    let terms: LatentTermValues | null = null;
    const latent = hasLatentTerms(l) ? (z: Float32Array) => (terms = latentTerms(l, z, n, d, anchor)).zbar : undefined;
    const metric = hostMetricTerms(this.session, this.config, n, regularizer);
    let fw: HostFunctionalResult | null = null;
    const functional =
      l.functional === "R2"
        ? undefined
        : (input: FunctionalInput) => (fw = hostFunctional(this.session, this.config, this.potentialAdam, input)).seeds;
    const r = await this.ae.evaluateStep(x, n, { latent, metric: metric?.host, functional }, measure);
    const host = fw as HostFunctionalResult | null;
    const curvPart = host ? host.value : r.r2;
    const extra = terms as LatentTermValues | null;
    const uniformity = extra?.uniformity ?? 0;
    const isomap = extra?.isomap ?? 0;
    const g = metric?.values ?? { isometry: 0, volumeVariance: 0, conformality: 0, contractive: 0, decoderContractive: 0 };
    const parts: Parts = {
      loss:
        r.loss +
        (host ? l.curv * l.sign * host.value : 0) +
        l.uniformity.weight * uniformity +
        l.isomap.weight * isomap +
        l.isometry.weight * g.isometry +
        l.volume.weight * g.volumeVariance +
        l.conformality.weight * g.conformality +
        l.contractive.weight * g.contractive +
        l.decoderContractive.weight * g.decoderContractive,
      recon: r.recon,
      curv: curvPart,
      r2: r.r2,
      uniformity,
      contractive: g.contractive,
      degenerate: r.degenerate,
      volume: r.volume,
      meanSqrtDetG: r.meanSqrtDetG,
      normError: host?.normError ?? 0,
      tau: host?.tau ?? 0,
      decoderContractive: g.decoderContractive,
      isometry: g.isometry,
      volumeVariance: g.volumeVariance,
      conformality: g.conformality,
      isomap,
    };
    const gradNorm = Math.sqrt(r.gradNorm ** 2 + (host?.gradSq ?? 0));
    if (Number.isFinite(parts.loss) && Number.isFinite(gradNorm)) {
      const o = this.config.optimizer;
      await this.ae.applyAdam({ lr: o.lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
      host?.apply();
    } else host?.dispose();
    return { parts, gradNorm };
  }

  destroy(): void {
    this.ae.destroy();
  }
}
