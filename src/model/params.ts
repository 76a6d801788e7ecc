/**
 * Flat parameter vectors. Every backend (float64 TypeScript, tfjs, WGSL) sees an MLP's weights as one
 * Float64Array/Float32Array with this layout: for each layer l, W_l (units × fanIn, row-major) then b_l.
 */
import { Rng } from "../util/random.js";
import type { Mlp, WeightSource } from "./types.js";

export interface LayerSlice {
  fanIn: number;
  units: number;
  /** Offset of W (units × fanIn, row-major). */
  wOffset: number;
  /** Offset of b (units). */
  bOffset: number;
}

export interface ParamLayout {
  layers: LayerSlice[];
  size: number;
}

/** Width of the first layer's input: d, or 2d with the torus embedding (cos z, sin z). */
export function mlpInputWidth(mlp: Mlp): number {
  return mlp.torusEmbedding ? 2 * mlp.inputDim : mlp.inputDim;
}

export function paramLayout(mlp: Mlp): ParamLayout {
  const layers: LayerSlice[] = [];
  let fanIn = mlpInputWidth(mlp);
  let offset = 0;
  for (const layer of mlp.layers) {
    const wOffset = offset;
    const bOffset = wOffset + layer.units * fanIn;
    layers.push({ fanIn, units: layer.units, wOffset, bOffset });
    offset = bOffset + layer.units;
    fanIn = layer.units;
  }
  return { layers, size: offset };
}

/**
 * Glorot-normal weights (std √(2/(fanIn+units))) and zero biases from a seed, or the given values.
 * The caller has already checked that explicit values have the layout's size.
 */
export function initialParams(mlp: Mlp, source: WeightSource): Float64Array {
  const layout = paramLayout(mlp);
  if (source.kind === "values") return Float64Array.from(source.values);
  const rng = new Rng(source.seed);
  const params = new Float64Array(layout.size);
  for (const l of layout.layers) {
    const std = Math.sqrt(2 / (l.fanIn + l.units));
    for (let i = 0; i < l.units * l.fanIn; i++) params[l.wOffset + i] = std * rng.normal();
  }
  return params;
}
