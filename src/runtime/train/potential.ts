/**
 * The learnable potential f of the functionals F and W: a small MLP on the latent space (through
 * the torus embedding when the latent is periodic), compiled like a decoder with output dimension 1
 * so that f and ∇f come from the same jet machinery (order-1 jets: value and ∂_i f).
 * Its last layer starts at zero, so f starts constant and F starts at ∫R e^{−f} dμ.
 */
import { createHash } from "node:crypto";
import { initialParams, paramLayout } from "../../model/params.js";
import { NAMED_ACTIVATIONS, type Activation, type MlpDecoder, type Model, type NamedActivation } from "../../model/types.js";
import { activationDerivatives } from "../../emit/facade.js";
import { UserError } from "../../util/errors.js";

export function parseActivation(s: string, where: string): Activation {
  const a: Activation = (NAMED_ACTIVATIONS as readonly string[]).includes(s)
    ? { kind: "named", name: s as NamedActivation }
    : { kind: "formula", formula: s };
  try {
    activationDerivatives(a, 2);
  } catch (e) {
    throw new UserError(
      where,
      `"${s}" is neither an activation name (${NAMED_ACTIVATIONS.join(", ")}) nor a usable formula in x: ${(e as Error).message}`,
    );
  }
  return a;
}

export interface PotentialSpec {
  latentDim: number;
  torus: boolean;
  hidden: readonly number[];
  activation: Activation;
  seed: number;
}

export function potentialModel(spec: PotentialSpec): Model {
  const decoder: MlpDecoder = {
    type: "mlp",
    inputDim: spec.latentDim,
    torusEmbedding: spec.torus,
    layers: [
      ...spec.hidden.map((units) => ({ units, activation: spec.activation })),
      { units: 1, activation: { kind: "named", name: "linear" } },
    ],
  };
  const sourceHash = createHash("sha256")
    .update(JSON.stringify({ ...spec, hidden: [...spec.hidden] }))
    .digest("hex");
  return {
    name: "potential",
    latentDim: spec.latentDim,
    outputDim: 1,
    decoder,
    decoderWeights: { kind: "seed", seed: spec.seed },
    encoder: null,
    encoderWeights: { kind: "seed", seed: spec.seed },
    sourceHash,
  };
}

export function potentialInitialParams(model: Model): Float64Array {
  if (model.decoder.type !== "mlp") throw new Error("potential must be an MLP");
  const params = initialParams(model.decoder, model.decoderWeights);
  const layout = paramLayout(model.decoder);
  const last = layout.layers[layout.layers.length - 1]!;
  params.fill(0, last.wOffset, last.bOffset + last.units);
  return params;
}
