/**
 * The decoder (and optional encoder) a researcher describes in model.json, after validation.
 * `schema.ts` turns raw JSON into these types; everything downstream relies on them being valid.
 */

/** Activations known by name. All are C^∞, as curvature training needs (C³ for R, C⁴ for its gradient). */
export const NAMED_ACTIVATIONS = ["tanh", "sin", "cos", "softplus", "sigmoid", "silu", "gelu", "linear"] as const;
export type NamedActivation = (typeof NAMED_ACTIVATIONS)[number];

/** An activation: a known name, or a formula in `x` (mathjs syntax). */
export type Activation = { kind: "named"; name: NamedActivation } | { kind: "formula"; formula: string };

export interface DenseLayer {
  units: number;
  activation: Activation;
}

/** A multilayer perceptron. The last layer's `units` is its output dimension. */
export interface Mlp {
  inputDim: number;
  /** Feed (cos z, sin z) (2·inputDim features) instead of z: a periodic (flat-torus) input. */
  torusEmbedding: boolean;
  layers: DenseLayer[];
}

/** Ψ given as formulas in the latent variables, with named constants. */
export interface AnalyticDecoder {
  type: "analytic";
  variables: string[];
  constants: Record<string, number>;
  formulas: string[];
}

export interface MlpDecoder extends Mlp {
  type: "mlp";
}

export type Decoder = MlpDecoder | AnalyticDecoder;

/** Where initial weights come from: a seeded initialisation, or explicit values (flat, in ParamLayout order). */
export type WeightSource = { kind: "seed"; seed: number } | { kind: "values"; values: Float64Array };

export interface Model {
  name: string;
  /** Latent dimension d (1–8). */
  latentDim: number;
  /** Data dimension D. */
  outputDim: number;
  decoder: Decoder;
  decoderWeights: WeightSource;
  /** Encoder R^D → R^d, used by the trainer. */
  encoder: Mlp | null;
  encoderWeights: WeightSource;
  /** SHA-256 of the model file's canonical JSON, recorded in manifests. */
  sourceHash: string;
}
