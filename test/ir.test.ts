import { describe, expect, it } from "vitest";
import { interpret } from "../src/ir/block.js";
import { Builder } from "../src/ir/graph.js";
import { composeJet, jetColumns, setPartitions } from "../src/ir/jets.js";
import { adjoints } from "../src/ir/reverse.js";
import { opCounts } from "../src/ir/block.js";

describe("scalar DAG", () => {
  it("hash-conses common subexpressions, commutatively", () => {
    const b = new Builder();
    const x = b.input("x");
    const y = b.input("y");
    expect(b.add(x, y)).toBe(b.add(y, x));
    expect(b.unary("tanh", b.mul(x, y))).toBe(b.unary("tanh", b.mul(y, x)));
  });

  it("folds constants and identities", () => {
    const b = new Builder();
    const x = b.input("x");
    expect(b.constValue(b.mul(b.num(3), b.num(4)))).toBe(12);
    expect(b.add(x, b.num(0))).toBe(x);
    expect(b.mul(x, b.num(1))).toBe(x);
    expect(b.isZero(b.mul(x, b.num(0)))).toBe(true);
    expect(b.neg(b.neg(x))).toBe(x);
    expect(b.constValue(b.unary("cos", b.num(0)))).toBe(1);
  });

  it("counts ops before and after CSE", () => {
    const b = new Builder();
    const x = b.input("x");
    const t = b.unary("tanh", x);
    const y = b.mul(b.add(t, b.num(1)), b.sub(t, b.num(1)));
    const counts = opCounts({ b, inputs: ["x"], outputs: [{ name: "y", node: y }] });
    expect(counts).toEqual({ beforeCse: 5, afterCse: 4 });
  });
});

describe("jets", () => {
  it("stores symmetric multi-indices once", () => {
    expect(jetColumns(2, 3).length).toBe(1 + 2 + 3 + 4);
    expect(jetColumns(3, 3).length).toBe(1 + 3 + 6 + 10);
    expect(jetColumns(2, 2)).toEqual([[], [0], [1], [0, 0], [0, 1], [1, 1]]);
  });

  it("enumerates set partitions (Bell numbers)", () => {
    expect([0, 1, 2, 3, 4, 5].map((m) => setPartitions(m).length)).toEqual([1, 1, 2, 5, 15, 52]);
  });

  it("Faà di Bruno reproduces the derivatives of sin(x·y) (an independent closed form)", () => {
    const b = new Builder();
    const cols = jetColumns(2, 3);
    const x = b.input("x");
    const y = b.input("y");
    // a = x·y as a jet: a_x = y, a_y = x, a_xy = 1.
    const a = cols.map((alpha) => {
      const k = alpha.join(",");
      if (k === "") return b.mul(x, y);
      if (k === "0") return y;
      if (k === "1") return x;
      if (k === "0,1") return b.num(1);
      return b.num(0);
    });
    const s = b.unary("sin", a[0]!);
    const c = b.unary("cos", a[0]!);
    const jet = composeJet(b, cols, a, [s, c, b.neg(s), b.neg(c)]);
    const block = { b, inputs: ["x", "y"], outputs: jet.map((node, i) => ({ name: `c${i}`, node })) };
    const X = 0.7;
    const Y = -1.3;
    const v = interpret(block, { x: X, y: Y });
    const p = X * Y;
    // ∂³/∂x²∂y sin(xy) = −2y sin(xy) − x y² cos(xy); ∂³/∂x³ = −y³ cos(xy).
    const idx = (k: string) => cols.findIndex((c) => c.join(",") === k);
    expect(v[`c${idx("0,0,1")}`]).toBeCloseTo(-2 * Y * Math.sin(p) - X * Y * Y * Math.cos(p), 12);
    expect(v[`c${idx("0,0,0")}`]).toBeCloseTo(-(Y ** 3) * Math.cos(p), 12);
    expect(v[`c${idx("0,1")}`]).toBeCloseTo(Math.cos(p) - p * Math.sin(p), 12);
  });
});

describe("reverse mode", () => {
  it("matches central differences on a nested expression", () => {
    const b = new Builder();
    const x = b.input("x");
    const y = b.input("y");
    const f = b.div(b.unary("tanh", b.mul(x, b.unary("exp", y))), b.add(b.powi(x, 2), b.unary("sqrt", b.add(b.powi(y, 2), b.num(1)))));
    const [gx, gy] = adjoints(b, new Map([[f, b.num(1)]]), [x, y]);
    const block = {
      b,
      inputs: ["x", "y"],
      outputs: [
        { name: "f", node: f },
        { name: "gx", node: gx! },
        { name: "gy", node: gy! },
      ],
    };
    const at = { x: 0.4, y: -0.2 };
    const h = 1e-6;
    const fd = (dx: number, dy: number) =>
      (interpret(block, { x: at.x + dx, y: at.y + dy })["f"]! - interpret(block, { x: at.x - dx, y: at.y - dy })["f"]!) / (2 * h);
    const v = interpret(block, at);
    expect(v["gx"]).toBeCloseTo(fd(h, 0), 8);
    expect(v["gy"]).toBeCloseTo(fd(0, h), 8);
  });
});
