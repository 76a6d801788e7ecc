import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../src/model/load.js";
import { paramLayout } from "../src/model/params.js";
import { canonicalJson, parseModel } from "../src/model/schema.js";
import type { Mlp } from "../src/model/types.js";
import { UserError } from "../src/util/errors.js";

const EXAMPLES = new URL("../examples/", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "ricci-gen-schema-"));

function write(name: string, content: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

/** A valid small model: 2 → 4 → 3 tanh decoder, 3 → 4 → 2 encoder. */
function base(): Record<string, any> {
  return {
    name: "small",
    latentDim: 2,
    outputDim: 3,
    decoder: {
      type: "mlp",
      layers: [
        { units: 4, activation: "tanh" },
        { units: 3, activation: "linear" },
      ],
    },
    encoder: {
      layers: [
        { units: 4, activation: "tanh" },
        { units: 2, activation: "linear" },
      ],
    },
  };
}

function parse(raw: unknown) {
  return parseModel(raw, { baseDir: tmp, sourceText: "" });
}

function withChange(change: (m: Record<string, any>) => void): Record<string, any> {
  const m = base();
  change(m);
  return m;
}

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}

function expectError(f: () => unknown, where: string, ...fragments: string[]): UserError {
  const e = userError(f);
  expect(e.where).toBe(where);
  for (const s of fragments) expect(e.message).toContain(s);
  expect(e.message).not.toContain("\n");
  return e;
}

const analytic = {
  name: "sphere",
  outputDim: 3,
  decoder: {
    type: "analytic",
    variables: ["u", "v"],
    constants: { r: 2 },
    formulas: ["r*cos(u)*cos(v)", "r*cos(u)*sin(v)", "r*sin(u)"],
  },
};

describe("examples", () => {
  it("swiss-roll", () => {
    const m = loadModel(join(EXAMPLES, "swiss-roll.model.json"));
    expect(m.name).toBe("swiss-roll");
    expect([m.latentDim, m.outputDim]).toEqual([2, 3]);
    expect(m.decoder.type).toBe("mlp");
    if (m.decoder.type !== "mlp") return;
    expect(m.decoder.layers.map((l) => l.units)).toEqual([64, 64, 64, 3]);
    expect(m.decoder.layers[0]!.activation).toEqual({ kind: "named", name: "tanh" });
    expect(m.decoder.layers[3]!.activation).toEqual({ kind: "named", name: "linear" });
    expect(m.encoder?.inputDim).toBe(3);
    expect(m.encoder?.layers.map((l) => l.units)).toEqual([64, 64, 2]);
    expect(m.decoderWeights).toEqual({ kind: "seed", seed: 0 });
    expect(m.encoderWeights).toEqual({ kind: "seed", seed: 1 });
    expect(m.sourceHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("torus-ae", () => {
    const m = loadModel(join(EXAMPLES, "torus-ae.model.json"));
    if (m.decoder.type !== "mlp") throw new Error("mlp expected");
    expect(m.decoder.torusEmbedding).toBe(true);
    expect(m.decoder.layers.map((l) => l.units)).toEqual([256, 512, 784]);
    expect(paramLayout(m.decoder).layers[0]!.fanIn).toBe(4);
    expect(m.encoder?.layers.map((l) => [l.units, l.activation])).toEqual([
      [512, { kind: "named", name: "sin" }],
      [256, { kind: "named", name: "sin" }],
      [2, { kind: "named", name: "linear" }],
    ]);
  });

  it("sphere, torus-surface and gaussians", () => {
    const sphere = loadModel(join(EXAMPLES, "sphere.model.json"));
    expect(sphere.decoder).toEqual(analytic.decoder);
    expect(sphere.encoder).toBeNull();
    const torus = loadModel(join(EXAMPLES, "torus-surface.model.json"));
    expect(torus.decoder.type === "analytic" && torus.decoder.constants).toEqual({ a: 3, b: 1 });
    const g = loadModel(join(EXAMPLES, "gaussians.model.json"));
    expect(g.outputDim).toBe(784);
    expect(g.decoder.type === "mlp" && g.decoder.layers.map((l) => l.units)).toEqual([64, 64, 784]);
    expect(g.encoder?.layers.map((l) => l.units)).toEqual([64, 64, 2]);
  });
});

describe("normalisation", () => {
  it("applies defaults: latentDim 2, torusEmbedding false, seed 0, no encoder", () => {
    const m = parse({ name: "n", outputDim: 1, decoder: { type: "mlp", layers: [{ units: 1, activation: "linear" }] } });
    expect(m.latentDim).toBe(2);
    expect(m.decoder.type === "mlp" && m.decoder.torusEmbedding).toBe(false);
    expect(m.decoderWeights).toEqual({ kind: "seed", seed: 0 });
    expect(m.encoder).toBeNull();
  });

  it("reads formula activations as strings and objects", () => {
    const m = parse(
      withChange((m) => {
        m.decoder.layers[0].activation = "x^3/3 + x";
        m.encoder.layers[0].activation = { formula: "log(1+exp(x))" };
      }),
    );
    expect(m.decoder.type === "mlp" && m.decoder.layers[0]!.activation).toEqual({ kind: "formula", formula: "x^3/3 + x" });
    expect(m.encoder?.layers[0]!.activation).toEqual({ kind: "formula", formula: "log(1+exp(x))" });
  });

  it("hashes canonical JSON, independent of key order and whitespace", () => {
    const a = parse(base());
    const reordered = JSON.parse(`{"outputDim":3,${JSON.stringify(base()).slice(1)}`.replace(/,"outputDim":3/, ""));
    expect(Object.keys(reordered)[0]).toBe("outputDim");
    expect(parse(reordered).sourceHash).toBe(a.sourceHash);
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: "x" })).toBe('{"a":"x","b":[1,{"c":2,"d":1}]}');
    expect(parse(withChange((m) => (m.decoder.layers[0].units = 5))).sourceHash).not.toBe(a.sourceHash);
  });

  it("weights: seed, values, file (array or per network)", () => {
    const decSize = paramLayout({ inputDim: 2, torusEmbedding: false, layers: base().decoder.layers } as Mlp).size;
    const encSize = paramLayout({ inputDim: 3, torusEmbedding: false, layers: base().encoder.layers } as Mlp).size;
    expect([decSize, encSize]).toEqual([27, 26]);
    const dec = Array.from({ length: decSize }, (_, i) => i / 10);
    const enc = Array.from({ length: encSize }, (_, i) => 1 - i);

    const seeded = parse(withChange((m) => (m.weights = { seed: 7 })));
    expect([seeded.decoderWeights, seeded.encoderWeights]).toEqual([
      { kind: "seed", seed: 7 },
      { kind: "seed", seed: 8 },
    ]);

    const values = parse(withChange((m) => (m.weights = { values: dec })));
    expect(values.decoderWeights).toEqual({ kind: "values", values: Float64Array.from(dec) });

    write("both.json", { decoder: dec, encoder: enc });
    const both = parse(withChange((m) => (m.weights = { file: "both.json" })));
    expect(both.decoderWeights).toEqual({ kind: "values", values: Float64Array.from(dec) });
    expect(both.encoderWeights).toEqual({ kind: "values", values: Float64Array.from(enc) });

    write("enc.json", enc);
    const perNet = parse(withChange((m) => (m.weights = { decoder: { seed: 3 }, encoder: { file: "enc.json" } })));
    expect(perNet.decoderWeights).toEqual({ kind: "seed", seed: 3 });
    expect(perNet.encoderWeights).toEqual({ kind: "values", values: Float64Array.from(enc) });
  });
});

describe("errors", () => {
  it("missing model file names the path", () => {
    const path = join(tmp, "nope.model.json");
    expectError(() => loadModel(path), path, "no such file");
  });

  it("unparsable JSON gives line and column", () => {
    const path = write("bad.model.json", '{\n  "name": "x",\n  "outputDim": 3,\n}\n');
    expectError(() => loadModel(path), path, "invalid JSON at line 4, column 1", "trailing comma");
    const p2 = write("bad2.model.json", '{\n  "name": "x" "outputDim": 3\n}');
    expectError(() => loadModel(p2), p2, "line 2, column 15", "expected ',' or '}'");
    const p3 = write("bad3.model.json", '{"name": "x",');
    expectError(() => loadModel(p3), p3, "unexpected end of input");
  });

  it("schema violations carry their JSON path", () => {
    expectError(() => parse(withChange((m) => delete m.outputDim)), "outputDim", "integer from 1");
    expectError(() => parse(withChange((m) => (m.decoder.layers[1].units = "3"))), "decoder.layers[1].units", "integer from 1");
    expectError(() => parse(withChange((m) => (m.decoder.type = "cnn"))), "decoder.type", `"mlp"`, `"analytic"`);
    expectError(() => parse(withChange((m) => (m.name = "my model"))), "name", "letters, digits");
    expectError(() => parse(withChange((m) => (m.decoder.layers = []))), "decoder.layers", "at least one layer");
    expectError(() => parse(withChange((m) => (m.encoder.torusEmbedding = true))), "encoder.torusEmbedding", "decoder's latent input only");
    expectError(() => parse(withChange((m) => (m.decoder.layers[0].activation = 3))), "decoder.layers[0].activation", "activation name");
    expectError(() => parse(42), "model", "expected object");
  });

  it("unknown keys are named, with the allowed ones", () => {
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[0].activaton = "tanh"))),
      "decoder.layers[0].activaton",
      `unknown key "activaton"`,
      "units, activation",
    );
  });

  it("errors from model files give the line of the offending value", () => {
    const path = write(
      "relu.model.json",
      withChange((m) => (m.decoder.layers[0].activation = "relu")),
    );
    expectError(() => loadModel(path), "decoder.layers[0].activation", "softplus", "(line 10, column 23)");
  });

  it("latentDim out of range", () => {
    expectError(() => parse(withChange((m) => (m.latentDim = 9))), "latentDim", "integer from 1 to 8");
    expectError(() => parse(withChange((m) => (m.latentDim = 0))), "latentDim", "integer from 1 to 8");
    expectError(() => parse(withChange((m) => (m.latentDim = 1.5))), "latentDim", "integer from 1 to 8");
  });

  it("unknown activation lists the known ones", () => {
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[0].activation = "swish7"))),
      "decoder.layers[0].activation",
      `unknown activation "swish7"`,
      "tanh, sin, cos, softplus, sigmoid, silu, gelu, linear",
      "formula in x",
    );
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[0].activation = "Tanh"))),
      "decoder.layers[0].activation",
      `did you mean "tanh"`,
    );
  });

  it("non-smooth activations are rejected with a smooth replacement", () => {
    const cases: [unknown, string][] = [
      ["relu", `use "softplus"`],
      ["leaky_relu", "softplus"],
      ["elu", "softplus"],
      ["abs", "sqrt(x^2"],
      ["step", "sigmoid"],
      ["heaviside", "sigmoid"],
      ["sign", "tanh"],
      ["max(0, x)", "log(1 + exp(x))"],
      ["x * sign(x)", "tanh"],
      ["min(x, 0)", "-log(1 + exp(-x))"],
      ["floor(x)", "piecewise constant"],
      ["ceil(x) + x", "piecewise constant"],
      ["round(x)", "piecewise constant"],
      ["mod(x, 1)", "discontinuous"],
      ["x % 2", "discontinuous"],
      ["x > 0 ? x : 0", "conditional"],
      [{ formula: "abs(x)" }, "sqrt(x^2"],
    ];
    for (const [activation, hint] of cases) {
      const where = typeof activation === "string" ? "encoder.layers[1].activation" : "encoder.layers[1].activation.formula";
      expectError(() => parse(withChange((m) => (m.encoder.layers[1].activation = activation))), where, "not smooth", "C³", hint);
    }
  });

  it("activation formulas must parse and use only x", () => {
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[0].activation = "log(1+"))),
      "decoder.layers[0].activation",
      "cannot parse",
      "mathjs syntax",
    );
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[0].activation = "x*y + 1"))),
      "decoder.layers[0].activation",
      `unknown symbol "y"`,
      "only x",
    );
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[0].activation = "erf(x) + x"))),
      "decoder.layers[0].activation",
      `unknown function "erf"`,
      "sin, cos",
    );
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[0].activation = "x == 1"))),
      "decoder.layers[0].activation",
      `operator "=="`,
      "+ - * / ^",
    );
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[0].activation = "[x, 1]"))),
      "decoder.layers[0].activation",
      "not a plain formula",
    );
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[0].activation = "pow(x)"))),
      "decoder.layers[0].activation",
      "takes 2 arguments",
    );
  });

  it("analytic formulas must parse and use only the declared variables and constants", () => {
    const bad = (formula: string) => ({
      ...analytic,
      decoder: { ...analytic.decoder, formulas: ["r*cos(u)*cos(v)", formula, "r*sin(u)"] },
    });
    expect(parse(bad("r*cos(u)*sin(v) + pi*e")).decoder.type).toBe("analytic");
    expectError(() => parse(bad("r*cos(u)*sin(w)")), "decoder.formulas[1]", `unknown symbol "w"`, "variables (u, v)", "constants (r)");
    expectError(() => parse(bad("r*cos(u)*(sin(v)")), "decoder.formulas[1]", "cannot parse");
    expectError(() => parse(bad("abs(u)")), "decoder.formulas[1]", "not smooth", "sqrt(x^2");
    expectError(() => parse(bad("gamma(u)")), "decoder.formulas[1]", `unknown function "gamma"`, "exp, log, sqrt, pow");
    expectError(() => parse({ ...analytic, decoder: { ...analytic.decoder, constants: { pi: 3 } } }), "decoder.constants.pi", "reserved");
    expectError(
      () => parse({ ...analytic, decoder: { ...analytic.decoder, variables: ["u", "u"] } }),
      "decoder.variables[1]",
      "declared twice",
    );
  });

  it("dimension mismatches", () => {
    expectError(
      () => parse(withChange((m) => (m.decoder.layers[1].units = 4))),
      "decoder.layers[1].units",
      "has 4 units but must have 3",
      "set units to 3",
    );
    expectError(() => parse(withChange((m) => (m.encoder.layers[1].units = 3))), "encoder.layers[1].units", "must have 2 (latentDim d)");
    expectError(
      () => parse({ ...analytic, decoder: { ...analytic.decoder, formulas: ["u", "v"] } }),
      "decoder.formulas",
      "2 formulas given but outputDim is 3",
    );
    expectError(() => parse({ ...analytic, latentDim: 3 }), "decoder.variables", "2 variables declared but latentDim is 3");
    expectError(
      () => parse(withChange((m) => (m.weights = { values: [1, 2, 3] }))),
      "weights.values",
      "expected 27 numbers for the decoder (2→4→3)",
      "got 3",
      "ParamLayout order",
    );
    write("short.json", { encoder: [1, 2] });
    expectError(
      () => parse(withChange((m) => (m.weights = { file: "short.json" }))),
      "weights.file",
      "expected 26 numbers for the encoder",
      "short.json",
    );
    expectError(
      () =>
        parse(
          withChange((m) => {
            m.decoder.torusEmbedding = true;
            m.weights = { decoder: { values: new Array(27).fill(0) } };
          }),
        ),
      "weights.decoder.values",
      "expected 35 numbers",
      "torus embedding: 4 inputs",
    );
  });

  it("weights problems", () => {
    expectError(() => parse(withChange((m) => (m.weights = { seed: 1, values: [] }))), "weights", "exactly one of");
    expectError(() => parse(withChange((m) => (m.weights = {}))), "weights", "exactly one of");
    expectError(() => parse(withChange((m) => (m.weights = { seed: -1 }))), "weights.seed", "integer from 0");
    expectError(() => parse(withChange((m) => (m.weights = { seed: 0, decoder: { seed: 1 } }))), "weights.seed", "not both");
    expectError(() => parse(withChange((m) => (m.weights = { file: "missing.json" }))), "weights.file", "cannot read", "missing.json");
    write("broken.json", "[1, 2,, 3]");
    expectError(() => parse(withChange((m) => (m.weights = { file: "broken.json" }))), "weights.file", "invalid JSON at line 1, column 7");
    expectError(() => parse({ ...analytic, weights: { encoder: { seed: 1 } } }), "weights.encoder", "no encoder");
    expectError(() => parse({ ...analytic, weights: { values: [1] } }), "weights.values", "analytic decoder has no parameters");
  });
});
