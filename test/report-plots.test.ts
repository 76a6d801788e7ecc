import { describe, expect, it } from "vitest";
import {
  MISSING_COLOUR,
  PNG_SIGNATURE,
  bestIndices,
  categoricalColours,
  curvesPlot,
  divergingScale,
  fontSetup,
  formatTick,
  formatValue,
  heatmapPanels,
  heatmapPlot,
  heatmapScale,
  metricInfo,
  pngSize,
  robustRange,
  robustSymmetric,
  scatterPanels,
  scatterPlot,
  sequentialScale,
  toPng,
  type FieldGrid,
} from "../src/report/index.js";

/**
 * A small XML well-formedness check: balanced tags, quoted attributes without raw '<' or '&',
 * known entities only, exactly one root element, nothing but whitespace outside it.
 * Returns the element names in document order.
 */
function checkXml(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  let i = 0;
  let roots = 0;
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  const checkText = (s: string, where: number): void => {
    for (let k = 0; k < s.length; k++) {
      if (s[k] === "<") throw new Error(`raw '<' at ${where + k}`);
      if (s[k] === "&") {
        entity.lastIndex = k;
        if (!entity.test(s)) throw new Error(`bad entity at ${where + k}: ${s.slice(k, k + 10)}`);
      }
    }
  };
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const textEnd = lt < 0 ? xml.length : lt;
    const txt = xml.slice(i, textEnd);
    if (stack.length === 0 && txt.trim() !== "") throw new Error(`text outside the root at ${i}`);
    checkText(txt, i);
    if (lt < 0) break;
    if (xml.startsWith("<?", lt)) {
      i = xml.indexOf("?>", lt) + 2;
      continue;
    }
    if (xml.startsWith("<!--", lt)) {
      i = xml.indexOf("-->", lt) + 3;
      continue;
    }
    const gt = xml.indexOf(">", lt);
    if (gt < 0) throw new Error(`unterminated tag at ${lt}`);
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith("/")) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> at ${lt}`);
    } else {
      const selfClosing = tag.endsWith("/");
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*$/.exec(body);
      if (!m) throw new Error(`malformed tag at ${lt}: <${tag.slice(0, 60)}>`);
      const attrs = m[2]!;
      const seen = new Set<string>();
      for (const a of attrs.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (seen.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]} at ${lt}`);
        seen.add(a[1]!);
        checkText(a[2] ?? a[3] ?? "", lt);
      }
      if (stack.length === 0) roots++;
      names.push(m[1]!);
      if (!selfClosing) stack.push(m[1]!);
    }
    i = gt + 1;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join("><")}>`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
  return names;
}

function count(names: string[], name: string): number {
  return names.filter((n) => n === name).length;
}

/** Channels of "#rrggbb". */
function rgb(hex: string): [number, number, number] {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

function grid(
  nx: number,
  ny: number,
  f: (x: number, y: number) => number,
  extent: [number, number, number, number] = [-1, 1, -1, 1],
): FieldGrid {
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const x = extent[0] + ((i + 0.5) * (extent[1] - extent[0])) / nx;
      const y = extent[2] + ((j + 0.5) * (extent[3] - extent[2])) / ny;
      values[j * nx + i] = f(x, y);
    }
  }
  return { values, nx, ny, extent };
}

describe("the XML checker itself", () => {
  it("accepts well-formed and rejects malformed documents", () => {
    expect(checkXml(`<svg a="1"><g><rect b='x'/></g><text>a &amp; b</text></svg>`)).toEqual(["svg", "g", "rect", "text"]);
    expect(() => checkXml(`<svg><g></svg>`)).toThrow();
    expect(() => checkXml(`<svg><text>a & b</text></svg>`)).toThrow();
    expect(() => checkXml(`<svg a=1></svg>`)).toThrow();
    expect(() => checkXml(`<svg></svg><svg></svg>`)).toThrow();
    expect(() => checkXml(`<svg a="1" a="2"></svg>`)).toThrow();
  });
});

describe("colour scales", () => {
  it("sequential (viridis) maps the domain ends to the ramp ends and clamps beyond", () => {
    const s = sequentialScale([2, 10]);
    expect(s.colour(2)).toBe("#440154");
    expect(s.colour(10)).toBe("#fde725");
    expect(s.colour(-100)).toBe("#440154");
    expect(s.colour(1e9)).toBe("#fde725");
    expect(s.position(6)).toBeCloseTo(0.5, 12);
    expect(s.colour(NaN)).toBe(MISSING_COLOUR);
    expect(s.colour(Infinity)).toBe(MISSING_COLOUR);
  });

  it("log sequential is linear in log10 and treats non-positive values as missing", () => {
    const s = sequentialScale([1e-2, 1e2], "log");
    expect(s.position(1)).toBeCloseTo(0.5, 12);
    expect(s.position(0.1)).toBeCloseTo(0.25, 12);
    expect(s.colour(0)).toBe(MISSING_COLOUR);
    expect(s.colour(-1)).toBe(MISSING_COLOUR);
    expect(() => sequentialScale([0, 1], "log")).toThrow(RangeError);
  });

  it("diverging is symmetric about the centre: blue below, near-white at it, red above", () => {
    const s = divergingScale([-1, 3]);
    expect(s.domain).toEqual([-3, 3]);
    const [r0, g0, b0] = rgb(s.colour(-3));
    const [r1, , b1] = rgb(s.colour(3));
    const [rm, gm, bm] = rgb(s.colour(0));
    expect(b0).toBeGreaterThan(r0 + 60); // dark blue
    expect(g0).toBeLessThan(100);
    expect(r1).toBeGreaterThan(b1 + 60); // dark red
    expect(Math.min(rm, gm, bm)).toBeGreaterThan(235); // near white
    expect(s.colour(-30)).toBe(s.colour(-3));
    expect(s.colour(30)).toBe(s.colour(3));
    expect(s.position(-1.5)).toBeCloseTo(0.25, 12);
    expect(s.position(1.5)).toBeCloseTo(0.75, 12);
    // Equal magnitudes on either side: mirror-image lightness.
    const light = (h: string): number => rgb(h).reduce((a, b) => a + b, 0);
    expect(Math.abs(light(s.colour(-1.5)) - light(s.colour(1.5)))).toBeLessThan(60);
    expect(divergingScale([4, 6], 5).domain).toEqual([4, 6]);
    expect(s.colour(NaN)).toBe(MISSING_COLOUR);
  });

  it("robust ranges ignore a few extremes and report clipping", () => {
    const v = Float64Array.from({ length: 1000 }, (_, i) => (i - 500) / 500);
    v[0] = -1000;
    v[1] = NaN;
    const rr = robustRange([v], 0.01);
    expect(rr.domain[0]).toBeGreaterThan(-1.01);
    expect(rr.domain[1]).toBeLessThan(1.01);
    expect(rr.clippedLow).toBe(true);
    expect(rr.missing).toBe(1);
    const sym = robustSymmetric([v.map((x) => x + 0.5), [2000]], 0.01);
    expect(sym.domain[0]).toBeCloseTo(-sym.domain[1], 12);
    expect(sym.clippedHigh).toBe(true);
  });

  it("categorical colours are distinct", () => {
    for (const k of [3, 10, 17]) expect(new Set(categoricalColours(k)).size).toBe(k);
  });
});

describe("formatting", () => {
  it("formats ticks and values", () => {
    expect(formatTick(0.5, 0.5)).toBe("0.5");
    expect(formatTick(-2, 1)).toBe("−2");
    expect(formatTick(2.5, 0.25)).toBe("2.50");
    expect(formatTick(1e-4, 1e-4)).toBe("10⁻⁴");
    expect(formatTick(3e-4, 1e-4)).toBe("3×10⁻⁴");
    expect(formatValue(0.0123)).toBe("0.0123");
    expect(formatValue(351.2)).toBe("351.2");
    expect(formatValue(0.00077)).toBe("7.7×10⁻⁴");
    expect(formatValue(null)).toBe("—");
    expect(formatValue(-Infinity)).toBe("−∞");
  });
});

describe("metric directions", () => {
  it("knows the usual metrics under loose names", () => {
    expect(metricInfo("test_mse")?.better).toBe("lower");
    expect(metricInfo("validation_r2")?.better).toBe("higher");
    expect(metricInfo("mean_R2_sqrt_detg")?.better).toBe("lower");
    expect(metricInfo("meanR2SqrtDetG")?.label).toBe("mean R²√det g");
    expect(metricInfo("trustworthiness")?.better).toBe("higher");
    expect(metricInfo("geodesic_length_ratio")?.better).toBe(1);
    expect(metricInfo("kmeans_f_measure")?.better).toBe("higher");
    expect(metricInfo("something_else")).toBeUndefined();
  });

  it("picks the best values", () => {
    expect(bestIndices([0.1, 0.05], "lower")).toEqual([1]);
    expect(bestIndices([0.9, 0.95, 0.95], "higher")).toEqual([1, 2]);
    expect(bestIndices([0.846, 1.007], 1)).toEqual([1]);
    expect(bestIndices([1, 1], "lower")).toEqual([]);
    expect(bestIndices([1, null], "lower")).toEqual([]);
    expect(bestIndices([1, 2], "none")).toEqual([]);
    expect(bestIndices([NaN, 2, 3], "lower")).toEqual([1]);
  });
});

describe("scatter plots", () => {
  const n = 500;
  const z = Float64Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 0.37) * (i % 2 ? 2 : 1));
  const t = Float64Array.from({ length: n }, (_, i) => i / n);
  const labels = Int32Array.from({ length: n }, (_, i) => (i % 3) + 5);

  it("continuous colouring: well-formed, one dot per point, a colour bar", () => {
    const p = scatterPlot({ z, colour: { kind: "continuous", name: "t", values: t } }, { title: "test <&>" });
    const names = checkXml(p.svg);
    expect(count(names, "circle")).toBe(n);
    expect(count(names, "linearGradient")).toBe(1);
    expect(p.svg).toContain("test &lt;&amp;&gt;");
    expect(p.width).toBeGreaterThan(300);
    expect(p.svg).toMatch(new RegExp(`^<svg[^>]* width="${p.width}" height="${p.height}"`));
  });

  it("categorical colouring: a legend with the class names, colours shared across panels", () => {
    const p = scatterPanels(
      [
        { title: "A", points: { z, colour: { kind: "categorical", name: "digit", values: labels } } },
        { title: "B", points: { z: z.map((v) => v * 3), colour: { kind: "categorical", name: "digit", values: labels } } },
      ],
      {},
    );
    const names = checkXml(p.svg);
    expect(count(names, "circle")).toBe(2 * n + 3); // dots + 3 legend swatches
    for (const s of [">5<", ">6<", ">7<", ">digit<", ">A<", ">B<"]) expect(p.svg).toContain(s);
    // Shared axes: both panels have the same tick labels.
    const ticks = [...p.svg.matchAll(/text-anchor="end" fill="#222" dy="0.35em">([^<]+)</g)].map((m) => m[1]);
    expect(ticks.length).toBeGreaterThan(4);
    expect(ticks.length % 2).toBe(0);
    expect(ticks.slice(0, ticks.length / 2)).toEqual(ticks.slice(ticks.length / 2));
  });

  it("subsamples above maxPoints and says so; rejects inconsistent input", () => {
    const p = scatterPlot({ z, dim: 2 }, { maxPoints: 100 });
    expect(count(checkXml(p.svg), "circle")).toBe(100);
    expect(p.notes.join(" ")).toMatch(/100 of 500/);
    expect(() => scatterPlot({ z, colour: { kind: "continuous", name: "t", values: t.subarray(1) } })).toThrow(RangeError);
    expect(() => scatterPlot({ z: z.subarray(1) })).toThrow(RangeError);
    expect(() => scatterPanels([{ points: { z, colour: { kind: "continuous", name: "t", values: t } } }, { points: { z } }])).toThrow(
      /mix/,
    );
  });

  it("higher-dimensional codes plot their first two coordinates", () => {
    const z3 = Float64Array.from({ length: 3 * 10 }, (_, i) => i);
    expect(count(checkXml(scatterPlot({ z: z3, dim: 3 }).svg), "circle")).toBe(10);
  });
});

describe("heatmaps", () => {
  const R = grid(40, 30, (x, y) => 3 * x + y);

  it("diverging R: well-formed, symmetric colour bar, every cell painted", () => {
    const p = heatmapPlot(R, { scale: "diverging", label: "R", panelTitle: "run" });
    const names = checkXml(p.svg);
    expect(count(names, "rect")).toBeGreaterThan(30); // at least one per row
    expect(p.notes.join(" ")).toMatch(/symmetric about 0/);
    const hs = heatmapScale([R], { scale: "diverging" });
    expect(hs.scale.domain[0]).toBeCloseTo(-hs.scale.domain[1], 12);
    // The corner cells get the extreme colours.
    expect(hs.scale.colour(R.values[0]!)).toBe(hs.scale.ramp(0));
    expect(hs.scale.colour(R.values[R.values.length - 1]!)).toBe(hs.scale.ramp(1));
  });

  it("sequential √det g switches to log10 when the values span decades", () => {
    const g = grid(20, 20, (x) => 10 ** (3 * x));
    const hs = heatmapScale([g], { scale: "sequential" });
    expect(hs.scale.transform).toBe("log");
    expect(heatmapScale([g], { scale: "sequential", transform: "linear" }).scale.transform).toBe("linear");
    const flat = grid(20, 20, (x) => 1 + 0.1 * x);
    expect(heatmapScale([flat]).scale.transform).toBe("linear");
    checkXml(heatmapPlot(g, { label: "√det g" }).svg);
  });

  it("panels share one colour domain; non-finite cells are grey and noted", () => {
    const a = grid(10, 10, () => 1);
    const b = grid(10, 10, () => 100);
    (b.values as Float64Array)[3] = NaN;
    const p = heatmapPanels(
      [
        { title: "a", grid: a },
        { title: "b", grid: b, overlay: { z: Float64Array.of(0, 0, 0.5, 0.5) } },
      ],
      { quantile: 0, transform: "linear" },
    );
    checkXml(p.svg);
    const hs = heatmapScale([a, b], { quantile: 0, transform: "linear" });
    expect(hs.scale.domain).toEqual([1, 100]);
    expect(p.svg).toContain(hs.scale.colour(1));
    expect(p.svg).toContain(hs.scale.colour(100));
    expect(p.svg).toContain(MISSING_COLOUR);
    expect(p.notes.join(" ")).toMatch(/1 non-finite/);
    expect(() => heatmapPlot({ values: [1, 2, 3], nx: 2, ny: 2, extent: [0, 1, 0, 1] })).toThrow(RangeError);
  });
});

describe("training curves", () => {
  const records = Array.from({ length: 300 }, (_, s) => ({
    step: s,
    epoch: Math.floor(s / 100),
    loss: Math.exp(-s / 50) + 0.01,
    recon: Math.exp(-s / 40) + 0.005,
    curv: 1e-3 * Math.exp(-s / 100),
    lr: 1e-3,
    note: "text is ignored",
  }));

  it("one run: log scale when all parts are positive; bookkeeping fields skipped", () => {
    const p = curvesPlot([{ name: "run", records }]);
    const names = checkXml(p.svg);
    // Each part twice: faint as recorded and bold smoothed.
    expect(count(names, "path")).toBe(6);
    for (const k of ["total loss", "reconstruction MSE", "curvature term L_curv"]) expect(p.svg).toContain(`>${k}<`);
    expect(p.svg).not.toContain(">lr<");
    expect(p.svg).toContain("10⁻"); // log ticks
  });

  it("signed parts get a separate linear panel; several runs get one panel per part", () => {
    const signed = records.map((r) => ({ ...r, F: Math.cos(r.step / 30) }));
    const p = curvesPlot([{ name: "run", records: signed }]);
    checkXml(p.svg);
    expect(p.svg).toContain("signed parts");
    const many = curvesPlot([
      { name: "A", records },
      { name: "B", records: records.slice(0, 150) },
    ]);
    const names = checkXml(many.svg);
    expect(count(names, "path")).toBe(12);
    expect(many.svg).toContain(">A<");
    expect(many.svg).toContain(">B<");
  });

  it("long series are bucket-averaged", () => {
    const long = Array.from({ length: 5000 }, (_, s) => ({ step: s, loss: 1 / (s + 1) }));
    const p = curvesPlot([{ name: "run", records: long }], { maxPoints: 200, smooth: 1 });
    const d = /<path d="([^"]+)"/.exec(p.svg)![1]!;
    expect(d.split(/[ML]/).filter((s) => s).length).toBe(200);
  });
});

describe("PNG", () => {
  const fonts = fontSetup();
  if (!fonts.textRenders) {
    const msg = "NO FONT for resvg: install fonts-dejavu-core (PNG text tests skipped)";
    if (process.env["CI"] === "true") throw new Error(msg);
    console.warn(`\n*** ${msg} ***\n`);
  }

  it("has the PNG signature and the SVG's size times the scale", () => {
    const p = scatterPlot({ z: Float64Array.of(0, 0, 1, 1, 2, 0.5) });
    const png = toPng(p.svg, { scale: 2, allowMissingFonts: true });
    expect([...png.subarray(0, 8)]).toEqual([...PNG_SIGNATURE]);
    expect(pngSize(png)).toEqual({ width: 2 * p.width, height: 2 * p.height });
    expect(png.length).toBeGreaterThan(2000);
    const one = toPng(p.svg, { scale: 1, allowMissingFonts: true });
    expect(pngSize(one)).toEqual({ width: p.width, height: p.height });
  });

  it.skipIf(!fonts.textRenders)("draws text (a font is loaded)", () => {
    const base = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#fff"/>`;
    const withText = toPng(`${base}<text x="4" y="28" font-size="20">R²√g 10⁻³</text></svg>`, { scale: 1 });
    const without = toPng(`${base}</svg>`, { scale: 1 });
    expect(withText.length).toBeGreaterThan(without.length + 200);
    expect(fonts.family ?? fonts.files.join(",")).toBeTruthy();
  });
});
