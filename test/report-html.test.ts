import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jsonHtml, renderReport, sampleRuns, writeReport, type RunData } from "../src/report/index.js";
import { UserError } from "../src/util/errors.js";

const dir = mkdtempSync(join(tmpdir(), "ricci-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runs = sampleRuns({ n: 1500, grid: 24, steps: 400 });

/** The <td> cells of the table row whose first cell mentions `key`. */
function row(html: string, key: string): string[] {
  const tr = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => m[1]!).find((r) => r.includes(`>${key}</span></td>`));
  if (!tr) throw new Error(`no row for ${key}`);
  return [...tr.matchAll(/<td([^>]*)>(.*?)<\/td>/g)].map((m) => `${m[1]}|${m[2]}`);
}

describe("renderReport", () => {
  const rep = renderReport(runs, { generatedAt: "2025-01-01 00:00 UTC", generator: "ricci-gen test" });

  it("is one self-contained page: no scripts, no external references, a strict CSP", () => {
    const { html } = rep;
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/(src|href)="(?!data:|#)/);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).toContain(`content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"`);
    expect(html).toContain("ricci-gen test");
    expect(html).toContain("2025-01-01 00:00 UTC");
  });

  it("inlines every picture as a PNG data URI", () => {
    const imgs = [...rep.html.matchAll(/<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)"/g)];
    // 2 colourings + R + √det g + curves
    expect(imgs.length).toBe(5);
    expect(rep.figures).toBe(5);
    expect(rep.images).toBe("png");
    expect(rep.warnings).toEqual([]);
    for (const m of imgs) {
      const png = Buffer.from(m[1]!, "base64");
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
      expect(png.readUInt32BE(16)).toBe(2 * Number(m[2]));
    }
  });

  it("highlights the better value per metric and explains the metrics", () => {
    const mse = row(rep.html, "test_mse");
    expect(mse[1]).not.toContain("best");
    expect(mse[2]).toMatch(/class="num best"/);
    expect(mse[3]).toMatch(/good/); // change column, improvement
    const tw = row(rep.html, "trustworthiness");
    expect(tw[2]).toMatch(/best/);
    const geo = row(rep.html, "geodesic_ratio"); // closer to 1: 1.007 beats 0.846
    expect(geo[2]).toMatch(/best/);
    const curv = row(rep.html, "mean_R2_sqrt_detg");
    expect(curv[2]).toMatch(/best/);
    expect(curv[3]).toContain("÷"); // 351 → 0.082 shown as a factor
    const unknown = row(rep.html, "custom_score");
    expect(unknown.join("")).not.toContain("best");
    expect(row(rep.html, "unavailable")[1]).toContain("—");
    expect(rep.html).toContain('id="metrics-explained"');
    expect(rep.html).toContain("Trustworthiness T(k)");
  });

  it("shows the configs as JSON and their differences", () => {
    expect(rep.html).toContain('<span class="k">"lambdaCurv"</span>: <span class="n">0.1</span>');
    expect(rep.html).toContain("train.lambdaCurv");
    expect(rep.html).toContain("train.contractive.delta");
    expect(rep.html).toContain("<i>absent</i>");
  });

  it("escapes run names and notes", () => {
    const evil: RunData = { name: `<img src=x onerror=alert(1)>`, config: { "</pre>": "<b>" }, metrics: { mse: 1 }, notes: ["<script>"] };
    const { html } = renderReport([evil]);
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("works for a single run and for runs without pictures", () => {
    const one = renderReport([runs[1]!]);
    expect(one.figures).toBe(5);
    expect(one.html).not.toMatch(/class="num best"/);
    const bare = renderReport([{ name: "bare", config: {}, metrics: {} }]);
    expect(bare.figures).toBe(0);
    expect(bare.html).toContain("No metrics recorded.");
    const three = renderReport([
      { name: "a", config: {}, metrics: { mse: 3 } },
      { name: "b", config: {}, metrics: { mse: 1 } },
      { name: "c", config: {}, metrics: { mse: 2 } },
    ]);
    const cells = row(three.html, "mse");
    expect(cells.map((c) => c.includes("best"))).toEqual([false, false, true, false, false]);
  });

  it("draws the rest when one figure's data is bad, and says so", () => {
    const bad: RunData = { ...runs[0]!, fields: [{ key: "R", values: [1, 2, 3], nx: 2, ny: 2, extent: [0, 1, 0, 1] }] };
    const rep2 = renderReport([bad]);
    expect(rep2.warnings.join(" ")).toMatch(/3 values for a 2 × 2 grid/);
    expect(rep2.html).toContain('class="error"');
    expect(rep2.figures).toBe(3);
  });

  it("can embed SVG instead of PNG", () => {
    const svg = renderReport([runs[0]!], { images: "svg" });
    expect(svg.images).toBe("svg");
    expect(svg.html.match(/<img src="data:image\/svg\+xml;base64,/g)?.length).toBe(5);
  });

  it("rejects empty input and duplicate names", () => {
    expect(() => renderReport([])).toThrow(UserError);
    expect(() => renderReport([runs[0]!, runs[0]!])).toThrow(/twice/);
  });
});

describe("writeReport", () => {
  it("writes the file atomically and leaves no temporary files", () => {
    const out = join(dir, "sub", "report.html");
    const res = writeReport(runs, out);
    expect(res.path).toBe(out);
    expect(readFileSync(out).length).toBe(res.bytes);
    expect(readdirSync(join(dir, "sub"))).toEqual(["report.html"]);
    // Rewriting replaces it.
    writeReport([runs[0]!], out);
    expect(readFileSync(out, "utf8")).not.toContain("ricci-λ0.1");
  });

  it("never overwrites an input file", () => {
    const input = join(dir, "metrics.html");
    writeFileSync(input, "input");
    const run: RunData = { ...runs[0]!, sources: [join(dir, "config.json"), input] };
    expect(() => writeReport([run], input)).toThrow(/input of run/);
    expect(readFileSync(input, "utf8")).toBe("input");
    expect(() => writeReport([run], join(dir, "report.json"))).toThrow(/\.html/);
    expect(existsSync(join(dir, "report.json"))).toBe(false);
    expect(() => writeReport([run], join(dir, "sub"))).toThrow(UserError);
  });
});

describe("jsonHtml", () => {
  it("pretty-prints with escaping", () => {
    expect(jsonHtml({ a: [1, 2], b: { c: "<x>" }, d: null, e: true })).toBe(
      `{\n  <span class="k">"a"</span>: [<span class="n">1</span>, <span class="n">2</span>],\n` +
        `  <span class="k">"b"</span>: {\n    <span class="k">"c"</span>: <span class="s">"&lt;x&gt;"</span>\n  },\n` +
        `  <span class="k">"d"</span>: <span class="b">null</span>,\n  <span class="k">"e"</span>: <span class="b">true</span>\n}`,
    );
  });
});
