/**
 * `ricci-gen curvature`: g, det g and R (route a, b or both) at latent points, from the model's
 * initial weights or (`--run`) a trained run's decoder. A point where g is singular (det g = 0,
 * numerically: det g ≤ 1e-12·(tr g / d)^d) or where R is not finite is marked degenerate: R is not
 * defined there (the chart is not an immersion), so it is printed as "degenerate", never as NaN.
 */
import type { Command } from "commander";
import type { Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import { UserError } from "../util/errors.js";
import { decoderParams, parseRoutes } from "./compile.js";
import { guarded } from "./errors.js";
import { parsePoints } from "./points.js";
import { loadRunDecoder } from "./run-weights.js";

/** Relative threshold on det g below which g counts as singular. */
export const DEGENERATE_RELATIVE_DET = 1e-12;

export function isDegenerate(g: ArrayLike<number>, detg: number, d: number): boolean {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += g[i * d + i]!;
  const scale = (trace / d) ** d;
  return !Number.isFinite(detg) || !(trace > 0) || detg <= DEGENERATE_RELATIVE_DET * scale;
}

export interface CurvaturePoint {
  z: number[];
  g: number[];
  detg: number;
  degenerate: boolean;
  /** R by each route asked for; null at a degenerate point. */
  R: Partial<Record<Route, number | null>>;
  christoffel?: number[] | null;
  ricci?: number[] | null;
}

/** g, det g and R by `routes` at the points (n × d, row-major); with `full` also Γ and Ricci. */
export async function curvatureAt(
  model: Model,
  params: Float64Array,
  points: Float64Array,
  n: number,
  routes: readonly Route[],
  full: boolean,
): Promise<CurvaturePoint[]> {
  // The float64 plan interpreter: no code generation or transpiling, so a new model answers quickly.
  const { planKernels64 } = await import("../plan/kernels64.js");
  const names = [
    "metric",
    ...routes.map((r) => (r === "a" ? "scalarCurvatureA" : "scalarCurvatureB")),
    ...(full ? ["christoffel", "ricci"] : []),
  ];
  // Ricci comes from route A (it needs ∇³Ψ).
  const kernels = planKernels64(model, full && !routes.includes("a") ? [...routes, "a"] : routes, names);
  const call = (name: string) => kernels[name]!(params, points, n);
  const d = model.latentDim;
  const metric = call("metric");
  const g = metric["g"]!;
  const detg = metric["detg"] ?? call(names[1]!)["detg"]!;
  const byRoute = Object.fromEntries(routes.map((r) => [r, call(r === "a" ? "scalarCurvatureA" : "scalarCurvatureB")["R"]!])) as Record<
    Route,
    Float64Array
  >;
  const gamma = full ? call("christoffel")["gamma"]! : null;
  const ricci = full ? call("ricci")["ricci"]! : null;
  return Array.from({ length: n }, (_, i) => {
    const gi = Array.from(g.subarray(i * d * d, (i + 1) * d * d));
    const degenerate = isDegenerate(gi, detg[i]!, d) || routes.some((r) => !Number.isFinite(byRoute[r][i]!));
    const point: CurvaturePoint = {
      z: Array.from(points.subarray(i * d, (i + 1) * d)),
      g: gi,
      detg: detg[i]!,
      degenerate,
      R: Object.fromEntries(routes.map((r) => [r, degenerate ? null : byRoute[r][i]!])),
    };
    if (gamma) point.christoffel = degenerate ? null : Array.from(gamma.subarray(i * d ** 3, (i + 1) * d ** 3));
    if (ricci) point.ricci = degenerate ? null : Array.from(ricci.subarray(i * d * d, (i + 1) * d * d));
    return point;
  });
}

interface CurvatureCliOptions {
  points: string;
  route: string;
  json?: boolean;
  run?: string;
}

async function modelAndParams(
  file: string | undefined,
  run: string | undefined,
): Promise<{ model: Model; params: Float64Array; source: string }> {
  if (run !== undefined) {
    if (file !== undefined) throw new UserError("--run", "give either a model.json or --run runs/<name>, not both");
    const r = await loadRunDecoder(run);
    return { model: r.model, params: r.params, source: `trained weights of ${run} (step ${r.step})` };
  }
  if (file === undefined) throw new UserError("curvature", "give a model.json, or --run runs/<name> for a trained decoder");
  const { loadModel } = await import("../model/load.js");
  const model = loadModel(file);
  return { model, params: decoderParams(model), source: "initial weights" };
}

const fmt = (x: number): string => x.toPrecision(6).padStart(13);

export function registerCurvature(program: Command): void {
  program
    .command("curvature")
    .description(
      "evaluate the compiled kernels at latent points: g, det g and R (with --json also Γ and Ricci); degenerate points are marked",
    )
    .argument("[model]", "model.json (or use --run)")
    .requiredOption("--points <points>", `points as "x,y;x,y" or a JSON file [[x, y], …]`)
    .option("--route <route>", "a (intrinsic), b (Gauss equation) or both", "b")
    .option("--run <dir>", "use the trained decoder of a run folder (runs/<name>) instead of the model's initial weights")
    .option("--json", "one JSON document with Γ and Ricci as well")
    .action(
      guarded(async (file: string | undefined, opts: CurvatureCliOptions) => {
        const routes = parseRoutes(opts.route);
        const { model, params, source } = await modelAndParams(file, opts.run);
        const { points, n } = parsePoints(opts.points, model.latentDim);
        const rows = await curvatureAt(model, params, points, n, routes, opts.json === true);
        if (opts.json) {
          const layout = { g: "[i][j]", christoffel: "Γ^i_kl as [i][k][l]", ricci: "[a][b]", R: "per route; null at a degenerate point" };
          process.stdout.write(JSON.stringify({ model: model.name, weights: source, routes, layout, points: rows }, null, 2) + "\n");
          return;
        }
        process.stdout.write(`model ${model.name} (${source}), route ${routes.join(" and ")}\n`);
        for (const r of rows) {
          const R = r.degenerate
            ? "  R undefined: degenerate point (det g = 0: g is singular here)"
            : routes.map((route) => `  R${routes.length > 1 ? `(${route})` : ""} = ${fmt(r.R[route]!)}`).join("");
          process.stdout.write(
            `z = (${r.z.join(", ")})  g = [${r.g.map((x) => x.toPrecision(6)).join(", ")}]  det g = ${fmt(r.detg)}${R}\n`,
          );
        }
        const degenerate = rows.filter((r) => r.degenerate).length;
        if (degenerate > 0)
          process.stderr.write(
            `note: ${degenerate} of ${n} points are degenerate (det g ≤ ${DEGENERATE_RELATIVE_DET}·(tr g/d)^d or R not finite)\n`,
          );
      }),
    );
}
