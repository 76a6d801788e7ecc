/**
 * End to end: the report opens in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) with every picture decoded and no console errors. Without Chromium the test is
 * skipped with a loud warning, except under CI=true where it fails.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { sampleRuns, writeReport } from "../src/report/index.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env["CI"] === "true";

if (!haveChromium) {
  const msg = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium): report browser test ${inCI ? "FAILS under CI" : "SKIPPED"}`;
  console.warn(`\n${"*".repeat(msg.length)}\n${msg}\n${"*".repeat(msg.length)}\n`);
}

const dir = mkdtempSync(join(tmpdir(), "ricci-report-browser-"));
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function launch(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return browser;
}

interface PageCheck {
  errors: string[];
  failedRequests: string[];
  images: { naturalWidth: number; naturalHeight: number; complete: boolean; alt: string }[];
  bodyWidth: number;
  headings: string[];
  bestCells: number;
}

async function openReport(file: string): Promise<PageCheck> {
  const b = await launch();
  const page = await b.newPage({ viewport: { width: 1360, height: 900 } });
  const errors: string[] = [];
  const failedRequests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => failedRequests.push(r.url().slice(0, 80)));
  page.on("request", (r) => {
    if (!r.url().startsWith("data:") && !r.url().startsWith("file:")) failedRequests.push(`external: ${r.url()}`);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  // A string, so that this file needs no DOM typings (tsconfig has lib ES2022 only).
  const result = (await page.evaluate(`(async () => {
    const imgs = [...document.images];
    await Promise.all(imgs.map((i) => i.decode().catch(() => undefined)));
    return {
      images: imgs.map((i) => ({ naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight, complete: i.complete, alt: i.alt })),
      bodyWidth: document.body.getBoundingClientRect().width,
      headings: [...document.querySelectorAll("h2")].map((h) => h.textContent ?? ""),
      bestCells: document.querySelectorAll("td.best").length,
    };
  })()`)) as Omit<PageCheck, "errors" | "failedRequests">;
  await page.close();
  return { errors, failedRequests, ...result };
}

describe.runIf(haveChromium || inCI)("report in headless Chromium", () => {
  const runs = sampleRuns({ n: 3000, grid: 32, steps: 600 });

  it("renders the two-run PNG report with every image loaded and no console errors", async () => {
    expect(haveChromium, `Chromium missing at ${CHROMIUM}`).toBe(true);
    const file = join(dir, "report.html");
    const w = writeReport(runs, file);
    expect(w.images).toBe("png");
    const r = await openReport(file);
    expect(r.errors).toEqual([]);
    expect(r.failedRequests).toEqual([]);
    expect(r.images.length).toBe(5);
    for (const img of r.images) {
      expect(img.complete, img.alt).toBe(true);
      expect(img.naturalWidth, img.alt).toBeGreaterThan(0);
      expect(img.naturalHeight, img.alt).toBeGreaterThan(0);
    }
    expect(r.headings).toEqual(
      expect.arrayContaining(["Metrics", "Latent space", "Geometry of the latent space", "Training", "Configuration", "About the metrics"]),
    );
    expect(r.bestCells).toBeGreaterThanOrEqual(7);
  });

  it("renders the SVG-embedding variant too", async () => {
    expect(haveChromium, `Chromium missing at ${CHROMIUM}`).toBe(true);
    const file = join(dir, "report-svg.html");
    writeReport([runs[0]!], file, { images: "svg" });
    const r = await openReport(file);
    expect(r.errors).toEqual([]);
    expect(r.images.length).toBe(5);
    for (const img of r.images) expect(img.naturalWidth, img.alt).toBeGreaterThan(0);
  });
});
