/**
 * `ricci-gen eval` and `ricci-gen report` end to end on two tiny trained runs: the table, the
 * report (both runs, every picture; opened in headless Chromium when it is installed), and bad
 * input → exit 2 with one line naming what is missing; the report never lands on a run's files.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemo } from "../src/cli/demo.js";
import { parseTrainConfig } from "../src/runtime/train/config.js";
import { train } from "../src/runtime/train/trainer.js";

const ROOT = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "ricci-report-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "node_modules/tsx/dist/cli.mjs"), join(ROOT, "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    cwd: tmp,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const model = join(tmp, "m.model.json");
writeFileSync(
  model,
  JSON.stringify({
    name: "m",
    latentDim: 2,
    outputDim: 3,
    decoder: {
      type: "mlp",
      layers: [
        { units: 16, activation: "tanh" },
        { units: 3, activation: "linear" },
      ],
    },
    encoder: {
      layers: [
        { units: 16, activation: "tanh" },
        { units: 2, activation: "linear" },
      ],
    },
    weights: { seed: 1 },
  }),
);

async function trainRun(name: string, curv: number): Promise<void> {
  const config = parseTrainConfig(
    {
      name,
      model,
      dataset: { kind: "swiss-roll", n: 300, seed: 0 },
      loss: { curv },
      epochs: 2,
      batch: 50,
      seed: 0,
      evalEvery: 0,
      runsDir: join(tmp, "runs"),
    },
    { baseDir: tmp },
  );
  await train(config, { progress: false });
}

beforeAll(async () => {
  await trainRun("base", 0);
  await trainRun("curv", 0.1);
}, 120_000);

describe("ricci-gen eval", () => {
  it("recomputes eval.json and prints a metric table", () => {
    const before = JSON.parse(readFileSync(join(tmp, "runs/base/eval.json"), "utf8")) as { createdAt: string };
    const r = cli("eval", "runs/base", "runs/curv", "--backend", "cpu");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/metric\s+base\s+curv/);
    for (const label of [
      "MSE",
      "mean R²√det g",
      "trustworthiness",
      "continuity",
      "tearing",
      "rank correlation with t",
      "geodesic length ratio",
    ])
      expect(r.stdout).toContain(label);
    const after = JSON.parse(readFileSync(join(tmp, "runs/base/eval.json"), "utf8")) as { createdAt: string };
    expect(after.createdAt).not.toBe(before.createdAt);
  }, 120_000);

  it("a missing run folder or checkpoint: exit 2, one line naming it and how to make it", () => {
    const missing = cli("eval", "runs/nope");
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/runs\/nope: no such run folder: train one first with `ricci-gen train/);
    mkdirSync(join(tmp, "runs/partial"), { recursive: true });
    writeFileSync(join(tmp, "runs/partial/config.json"), "{}");
    writeFileSync(join(tmp, "runs/partial/data.json"), "{}");
    const partial = cli("eval", "runs/partial");
    expect(partial.code).toBe(2);
    expect(partial.stderr.trim().split("\n")).toHaveLength(1);
    expect(partial.stderr).toMatch(/missing checkpoint\.json/);
    expect(partial.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  }, 60_000);
});

describe("run pictures (runs/<name>/plots/)", () => {
  it("writes every figure of a run as SVG and PNG, replacing the folder as a whole", async () => {
    const { writeRunPictures, figureStem } = await import("../src/report/run-pictures.js");
    const pics = await writeRunPictures(join(tmp, "runs/curv"));
    expect(pics.dir).toBe(join(tmp, "runs/curv/plots"));
    const svgs = pics.files.filter((f) => f.endsWith(".svg"));
    // latent codes by t and by height; R, √det g, R²√det g; training curves
    expect(svgs).toHaveLength(6);
    expect(svgs).toContain("latent-codes-by-t.svg");
    expect(svgs).toContain("training-curves.svg");
    for (const f of svgs) expect(readFileSync(join(pics.dir, f), "utf8")).toMatch(/^(<\?xml[^>]*>\s*)?<svg[\s>]/);
    const pngs = pics.files.filter((f) => f.endsWith(".png"));
    if (pngs.length === 0) expect(pics.warnings.join(" ")).toMatch(/font/i);
    else {
      expect(pngs).toHaveLength(6);
      for (const f of pngs)
        expect([...readFileSync(join(pics.dir, f)).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
    writeFileSync(join(pics.dir, "stale.svg"), "<svg/>");
    await writeRunPictures(join(tmp, "runs/curv"));
    expect(existsSync(join(pics.dir, "stale.svg"))).toBe(false);
    expect(figureStem("Volume element √det g")).toBe("volume-element-sqrt-det-g");
  }, 120_000);
});

describe("ricci-gen report", () => {
  it("writes one self-contained report comparing both runs", async () => {
    const r = cli("report", "runs/base", "runs/curv");
    expect(r.code, r.stderr).toBe(0);
    const file = join(tmp, "reports/base-vs-curv.html");
    expect(r.stdout).toContain("reports/base-vs-curv.html");
    const html = readFileSync(file, "utf8");
    expect(html).toContain("<code>base</code> vs <code>curv</code>");
    // t, height, R, √det g, R²√det g, training curves
    const imgs = html.match(/<img src="data:image\/png;base64,/g) ?? [];
    expect(imgs.length).toBe(6);
    expect(html).not.toMatch(/(src|href)="(?!data:|#)/);
    expect(html).toContain("mean R²√det g on the grid");
    if (!existsSync(CHROMIUM)) {
      console.warn(`Chromium not found at ${CHROMIUM}: the report is not opened in a browser`);
      return;
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      const widths = (await page.evaluate(
        `Promise.all([...document.images].map((i) => i.decode().then(() => i.naturalWidth, () => 0)))`,
      )) as number[];
      expect(errors).toEqual([]);
      expect(widths.length).toBe(6);
      for (const w of widths) expect(w).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it("refuses to write onto or into a run folder, and names a missing one", () => {
    const cfg = readFileSync(join(tmp, "runs/base/config.json"), "utf8");
    const onto = cli("report", "runs/base", "runs/curv", "-o", "runs/base/config.json");
    expect(onto.code).toBe(2);
    expect(onto.stderr).toMatch(/runs\/base\/config\.json: is inside the run folder runs\/base/);
    expect(readFileSync(join(tmp, "runs/base/config.json"), "utf8")).toBe(cfg);
    const into = cli("report", "runs/base", "-o", "runs/curv/../base/r.html");
    expect(into.code).toBe(2);
    expect(existsSync(join(tmp, "runs/base/r.html"))).toBe(false);
    const missing = cli("report", "runs/base", "runs/gone");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/runs\/gone: no such run folder/);
  }, 60_000);
});

describe("ricci-gen demo (tiny)", () => {
  it("trains both example configs, evaluates them and writes the comparison report", async () => {
    const out = join(tmp, "demo");
    const lines: string[] = [];
    const res = await runDemo({ out, points: 300, epochs: 2, backend: "cpu", progress: false, log: (l) => lines.push(l) });
    expect(res.runs.map((r) => r.name)).toEqual(["swiss-roll-baseline", "swiss-roll-unroll"]);
    expect(res.runs.map((r) => r.curv)).toEqual([0, 0.1]);
    for (const r of res.runs) {
      expect(existsSync(join(r.runDir, "eval.json"))).toBe(true);
      for (const k of [
        "test_mse",
        "mean_R2_sqrt_detg",
        "trustworthiness",
        "tearing",
        "geodesic_ratio",
        "rotation_spearman_t",
        "knn_overlap_arclength",
      ])
        expect(Number.isFinite(r.metrics[k]), k).toBe(true);
    }
    expect(res.report).toBe(join(out, "report.html"));
    const html = readFileSync(res.report, "utf8");
    expect(html).toContain("swiss-roll-baseline");
    expect(html).toContain("swiss-roll-unroll");
    expect(lines.join("\n")).toMatch(/training swiss-roll-unroll/);
  }, 120_000);
});
