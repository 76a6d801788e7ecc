/**
 * The tile plan of the WebGPU MLP kernels: which matrix products a decoder (jets of any order) or a
 * value network (encoder, reconstruction) runs, where each operand lives, and the tile sizes. The
 * WGSL printer (wgsl-tiled.ts) only prints this plan, so that it can later be fed from the shared
 * lowering plan of all targets instead.
 *
 * Every dense layer is three matrix products over (points × jet columns), with W shared:
 *   forward   Y_c = W X_c (+ b on the value column), the activation's jet rule in the epilogue;
 *   adjoint   X̄_c = Wᵀ Ā_c, the previous layer's activation adjoint in the epilogue (it needs every
 *             column of one unit and point at once, which is what the epilogue holds);
 *   gradient  [W̄ | b̄] = Σ_{points, columns} Ā [X; 1]ᵀ (the split-K reductions of wgsl-adjoint.ts).
 * Operands live in point-fastest tapes (tapeLayout in wgsl.ts: element (row, point) at row·n + point).
 *
 * Tiles (forward and adjoint): a workgroup is `lanes` invocations over consecutive points times a
 * tile of `unitTile` output rows (units, or inputs for the adjoint); each invocation keeps
 * unitTile × C accumulators in registers. The weight tile (kTile × unitTile) is staged in workgroup
 * memory once per kTile step and read by every lane; each lane streams its own point's columns.
 * Sizes come from the adapter's limits (workgroup storage, invocations) via {@link tileConfig}.
 */
import { decoderProgram, type DecoderProgram, type Stage } from "../ir/program.js";
import type { Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import { region, routeOrder, tapeLayout, type TapeLayout } from "./wgsl.js";

type Dense = Extract<Stage, { kind: "dense" }>;
type ActivationStage = Extract<Stage, { kind: "activation" }>;

/** The adapter limits the tiles depend on (GPUSupportedLimits has them all). */
export interface TileLimits {
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
}

/** Limits every WebGPU adapter guarantees: what `compile` (no adapter) plans for. */
export const DEFAULT_TILE_LIMITS: TileLimits = {
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
};

export interface TileConfig {
  /** Invocations per workgroup, one point each. */
  lanes: number;
  /** Register accumulators wanted per invocation (unitTile = accumulators / columns, 1…16). */
  accumulators: number;
  /** Largest weight tile staged in workgroup memory, in floats. */
  stagedFloats: number;
  limits: TileLimits;
}

export function tileConfig(limits: TileLimits = DEFAULT_TILE_LIMITS): TileConfig {
  const lanes = Math.min(64, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  // Half the workgroup storage, so that two workgroups can share a compute unit's memory.
  const stagedFloats = Math.max(64, Math.floor(limits.maxComputeWorkgroupStorageSize / 8));
  return { lanes, accumulators: 64, stagedFloats, limits };
}

/** Register tile along output rows for C jet columns. */
export const unitTileFor = (cfg: TileConfig, C: number): number => Math.max(1, Math.min(16, Math.floor(cfg.accumulators / C)));

/** Rows of a K-long reduction staged per step: the whole K when it fits. */
export const kTileFor = (cfg: TileConfig, unitTile: number, K: number): number =>
  Math.max(1, Math.min(K, Math.floor(cfg.stagedFloats / unitTile)));

/** One dense layer of a tiled program, with its operands' rows in the tape (x, a, y) and adj (Ā). */
export interface TiledLayer {
  index: number;
  fanIn: number;
  units: number;
  wOffset: number;
  bOffset: number;
  /** Input jet X_l (C × fanIn) in the tape. */
  xRow: number;
  /** Pre-activation jet A_l in the tape (−1 for a linear activation: nothing to record). */
  aRow: number;
  /** Output jet Y_l: the next layer's X, or psi for the last layer. */
  yRow: number;
  /** Ā_l (C × units) in adj. */
  abarRow: number;
  act: ActivationStage;
  /** First jet column computed by the forward product (1: a linear output's value is never read). */
  firstColumn: number;
}

export type TiledKind = "curvature" | "value";

export interface TiledPlan {
  kind: TiledKind;
  /** Kernel name prefix. */
  prefix: string;
  program: DecoderProgram;
  columns: number;
  tape: TapeLayout;
  /** Rows of adj: the tape layout's Ā regions, then X̄_0 (the input jet's adjoint). */
  adjRows: number;
  xbarRow: number;
  inputWidth: number;
  layers: TiledLayer[];
  unitTile: number;
  lanes: number;
  config: TileConfig;
}

function layerList(p: DecoderProgram, tape: TapeLayout, skipLinearValue: boolean): TiledLayer[] {
  const dense: { s: Dense; act: ActivationStage }[] = [];
  p.stages.forEach((s, i) => {
    if (s.kind === "dense") dense.push({ s, act: p.stages[i + 1] as ActivationStage });
  });
  return dense.map(({ s, act }, l) => {
    const last = l === dense.length - 1;
    return {
      index: s.index,
      fanIn: s.layer.fanIn,
      units: s.layer.units,
      wOffset: s.layer.wOffset,
      bOffset: s.layer.bOffset,
      xRow: region(tape.tape, `x${s.index}`).offset,
      aRow: act.identity ? -1 : region(tape.tape, `a${s.index}`).offset,
      yRow: region(tape.tape, last ? "psi" : `x${s.index + 1}`).offset,
      abarRow: region(tape.adj, `abar${s.index}`).offset,
      act,
      firstColumn: last && act.identity && skipLinearValue ? 1 : 0,
    };
  });
}

/** The plan of an MLP program (decoder jets of some order, or an order-0 value network). */
export function tiledPlan(kind: TiledKind, prefix: string, program: DecoderProgram, cfg: TileConfig): TiledPlan {
  if (!program.stages.some((s) => s.kind === "dense")) throw new Error(`${prefix}: the tiled kernels need an MLP`);
  const tape = tapeLayout(program);
  const C = program.columns.length;
  const first = program.stages[0]!;
  const inputWidth = first.kind === "dense" ? first.layer.fanIn : first.width;
  return {
    kind,
    prefix,
    program,
    columns: C,
    tape,
    adjRows: tape.adjRows + C * inputWidth,
    xbarRow: tape.adjRows,
    inputWidth,
    // The Gram entries use derivative columns only: a linear output's value column is skipped.
    layers: layerList(program, tape, kind === "curvature"),
    unitTile: unitTileFor(cfg, C),
    lanes: cfg.lanes,
    config: cfg,
  };
}

/** The decoder's jet plan for the curvature loss by `route`. */
export function curvaturePlan(model: Model, route: Route, cfg: TileConfig): TiledPlan {
  if (model.decoder.type !== "mlp") throw new Error(`model "${model.name}": the tiled kernels need an MLP decoder`);
  return tiledPlan("curvature", `jet${route.toUpperCase()}`, decoderProgram(model, routeOrder(route)), cfg);
}

/** FLOPs of one layer's products per point: forward, adjoint, weight gradient (2 per multiply-add). */
export function layerProductFlops(plan: TiledPlan, l: TiledLayer): { forward: number; adjoint: number; gradient: number } {
  const C = plan.columns;
  return {
    forward: 2 * (C - l.firstColumn) * l.fanIn * l.units,
    adjoint: 2 * C * l.fanIn * l.units,
    gradient: 2 * C * (l.fanIn + 1) * l.units,
  };
}

/** What layout.json records of a plan. */
export function describeTiledPlan(plan: TiledPlan): Record<string, unknown> {
  return {
    columns: plan.columns,
    lanes: plan.lanes,
    unitTile: plan.unitTile,
    tapeRows: plan.tape.tapeRows,
    adjRows: plan.adjRows,
    tape: plan.tape.tape,
    adj: [...plan.tape.adj, { name: "xbar", layer: -1, width: plan.inputWidth, offset: plan.xbarRow }],
    layers: plan.layers.map((l) => ({
      index: l.index,
      fanIn: l.fanIn,
      units: l.units,
      activation: l.act.activation,
      kTileForward: kTileFor(plan.config, plan.unitTile, l.fanIn),
      kTileAdjoint: kTileFor(plan.config, plan.unitTile, l.units),
      flopsPerPoint: layerProductFlops(plan, l),
    })),
  };
}
