/**
 * Evaluation's per-point geometry (R, √det g, the degenerate mask, g) through ONNX Runtime: the
 * compiled geometry graph (plan/curvature.ts `geometryPlan`) of the session's decoder, one per
 * session. Evaluation of a research-sized model (TorusAE) is dominated by these points; tfjs is the
 * fallback where ONNX Runtime cannot load.
 */
import { canonical, columnIndex, columnKey, emitOnnx, geometryPlan, jetColumns, jetGramPlan } from "../../emit/facade.js";
import type { MetricJetFn } from "../eval/geodesic.js";
import type { Session } from "../train/session.js";
import { createSession, loadOrt, threadCount, type OrtSession } from "./ort.js";

export interface PointGeometry {
  R: Float64Array;
  sqrtDetG: Float64Array;
  /** 1 where det g > ε. */
  ok: Uint8Array;
  /** n × d × d. */
  g: Float64Array;
}

type Graph = "geometry" | "jet-gram";
const cache = new Map<Graph, WeakMap<Session, Promise<OrtSession | null>>>();

/** One ONNX Runtime session per decoder session and graph, built on first use; null where ONNX Runtime cannot load. */
function graphSession(session: Session, graph: Graph, threads?: number): Promise<OrtSession | null> {
  const perSession = cache.get(graph) ?? cache.set(graph, new WeakMap()).get(graph)!;
  let pending = perSession.get(session);
  if (!pending) {
    const build = async (): Promise<OrtSession> => {
      const lowered = graph === "geometry" ? geometryPlan(session.model, session.curvature.route) : jetGramPlan(session.model);
      const bytes = emitOnnx(lowered.plan, { name: graph, docString: lowered.description, outputs: lowered.outputs });
      return createSession(bytes, threadCount(threads), `the evaluation ${graph} graph`);
    };
    pending = build().catch(() => null);
    perSession.set(session, pending);
  }
  return pending;
}

/**
 * R, √det g, the mask and g at z (n × d) by ONNX Runtime, or null where it is unavailable. The
 * graph is built on the session's first call, with `threads` threads (default: every core).
 */
export async function onnxGeometry(session: Session, z: Float64Array, n: number, threads?: number): Promise<PointGeometry | null> {
  const ort_ = await graphSession(session, "geometry", threads);
  if (!ort_) return null;
  const ort = await loadOrt();
  const d = session.latentDim;
  const params = Float32Array.from(session.variable("decoder").dataSync() as Float32Array);
  const out: PointGeometry = {
    R: new Float64Array(n),
    sqrtDetG: new Float64Array(n),
    ok: new Uint8Array(n),
    g: new Float64Array(n * d * d),
  };
  const chunk = 4096;
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const r = await ort_.run({
      params: new ort.Tensor("float32", params, [params.length]),
      z: new ort.Tensor("float32", Float32Array.from(z.subarray(s * d, (s + m) * d)), [m, d]),
      detEpsilon: new ort.Tensor("float32", Float32Array.of(session.curvature.detEpsilon), []),
      inverseMetricEpsilon: new ort.Tensor("float32", Float32Array.of(session.curvature.inverseMetricEpsilon ?? 0), []),
    });
    out.R.set(r["R"]!.data as Float32Array, s);
    out.sqrtDetG.set(r["sqrtdetg"]!.data as Float32Array, s);
    (r["mask"]!.data as Float32Array).forEach((v, i) => (out.ok[s + i] = v > 0 ? 1 : 0));
    out.g.set(r["g"]!.data as Float32Array, s * d * d);
  }
  return out;
}

/**
 * g and ∂g at latent points by ONNX Runtime (float32 network and Gram, float64 assembly), from the
 * Gram matrix of the jet columns: g_ij = ⟨∂_iΨ, ∂_jΨ⟩, ∂_k g_ij = ⟨∂_k∂_iΨ, ∂_jΨ⟩ + ⟨∂_iΨ, ∂_k∂_jΨ⟩.
 * The function holds the decoder's parameters as they are now (an evaluation calls it many times).
 * Null where ONNX Runtime is unavailable (evaluation then uses tfjs).
 */
export async function onnxMetricJets(session: Session, threads?: number): Promise<MetricJetFn | null> {
  const gram = await graphSession(session, "jet-gram", threads);
  if (!gram) return null;
  const ort = await loadOrt();
  const d = session.latentDim;
  const columns = jetColumns(d, 2); // jetGramPlan's column order
  const C = columns.length;
  const index = columnIndex(columns);
  const range = Array.from({ length: d }, (_, i) => i);
  const first = range.map((i) => index.get(columnKey([i]))!);
  const second = range.map((i) => range.map((j) => index.get(columnKey(canonical([i, j])))!));
  const params = Float32Array.from(session.variable("decoder").dataSync() as Float32Array);
  return async (z, m) => {
    const g = new Float64Array(m * d * d);
    const dg = new Float64Array(m * d * d * d);
    const chunk = 4096;
    for (let s = 0; s < m; s += chunk) {
      const k = Math.min(chunk, m - s);
      const r = await gram.run({
        params: new ort.Tensor("float32", params, [params.length]),
        z: new ort.Tensor("float32", Float32Array.from(z.subarray(s * d, (s + k) * d)), [k, d]),
      });
      const G = r["gram"]!.data as Float32Array;
      for (let p = 0; p < k; p++) {
        const at = (a: number, b: number): number => G[(p * C + a) * C + b]!;
        const q = s + p;
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) g[(q * d + i) * d + j] = at(first[i]!, first[j]!);
        for (let kk = 0; kk < d; kk++)
          for (let i = 0; i < d; i++)
            for (let j = 0; j < d; j++)
              dg[((q * d + kk) * d + i) * d + j] = at(second[kk]![i]!, first[j]!) + at(first[i]!, second[kk]![j]!);
      }
    }
    return { g, dg };
  };
}
