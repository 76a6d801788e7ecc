/**
 * The stored activation rules (src/rules/activation-table.ts) against a fresh mathjs derivation, and
 * the exact text form they are stored in (src/rules/formula-text.ts).
 */
import { describe, expect, it } from "vitest";
import { ACTIVATION_TABLE, ACTIVATION_TABLE_ORDER } from "../src/rules/activation-table.js";
import { activationDerivatives, deriveActivation, NAMED_ACTIVATIONS } from "../src/rules/activations.js";
import type { Formula } from "../src/rules/formula.js";
import { formulaText, parseFormulaText } from "../src/rules/formula-text.js";

describe("stored activation rules", () => {
  it("cover every named activation to the stored order", () => {
    expect(Object.keys(ACTIVATION_TABLE).sort()).toEqual([...NAMED_ACTIVATIONS].sort());
    for (const name of NAMED_ACTIVATIONS) expect(ACTIVATION_TABLE[name]).toHaveLength(ACTIVATION_TABLE_ORDER + 1);
  });

  for (const name of NAMED_ACTIVATIONS)
    it(`${name}: the table is what mathjs derives now (else run \`npm run activation-table\`)`, () => {
      const fresh = deriveActivation({ kind: "named", name }, ACTIVATION_TABLE_ORDER);
      expect(ACTIVATION_TABLE[name]).toEqual(fresh.map(formulaText));
      expect(activationDerivatives({ kind: "named", name }, ACTIVATION_TABLE_ORDER)).toEqual(fresh);
    }, 120_000);

  it("orders above the table and formula activations are derived by mathjs", () => {
    const sin5 = activationDerivatives({ kind: "named", name: "sin" }, ACTIVATION_TABLE_ORDER + 1);
    expect(formulaText(sin5[ACTIVATION_TABLE_ORDER + 1]!)).toBe("cos(x)");
    expect(activationDerivatives({ kind: "formula", formula: "x^3" }, 2).map(formulaText)).toEqual([
      "pow(x,3)",
      "mul(3,pow(x,2))",
      "mul(6,x)",
    ]);
  });
});

describe("formula text", () => {
  it("round-trips exactly, numbers included", () => {
    const f: Formula = {
      op: "sub",
      args: [
        {
          op: "mul",
          args: [
            { op: "num", value: 0.1 + 0.2 },
            { op: "tanh", args: [{ op: "var", name: "x" }] },
          ],
        },
        {
          op: "pow",
          args: [
            { op: "num", value: -1.5e-300 },
            { op: "num", value: 1e21 },
          ],
        },
      ],
    };
    expect(parseFormulaText(formulaText(f))).toEqual(f);
    expect(formulaText(f)).toBe("sub(mul(0.30000000000000004,tanh(x)),pow(-1.5e-300,1e+21))");
  });

  it("rejects what it does not write", () => {
    for (const bad of ["", "foo(x)", "sin(x", "add(x)", "mul(x,y))", "x y"])
      expect(() => parseFormulaText(bad), bad).toThrow(/formula text/);
  });
});
