/** Latent points given on the command line: "x,y;x,y" or a JSON file of [[x, y], …]. */
import { existsSync, readFileSync } from "node:fs";
import { UserError } from "../util/errors.js";

export function parsePoints(spec: string, d: number): { points: Float64Array; n: number } {
  let rows: unknown;
  if (spec.endsWith(".json") || existsSync(spec)) {
    if (!existsSync(spec)) throw new UserError("--points", `file ${spec} does not exist`);
    try {
      rows = JSON.parse(readFileSync(spec, "utf8"));
    } catch (e) {
      throw new UserError("--points", `${spec} is not valid JSON (${(e as Error).message}); expected [[z1, …, z${d}], …]`);
    }
  } else {
    rows = spec
      .split(";")
      .filter((s) => s.trim() !== "")
      .map((s) => s.split(",").map((x) => (x.trim() === "" ? Number.NaN : Number(x))));
  }
  if (!Array.isArray(rows) || rows.length === 0)
    throw new UserError("--points", `expected a non-empty list of points like "0.1,0.2;0.3,0.4"`);
  const points = new Float64Array(rows.length * d);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== d || !row.every((x) => typeof x === "number" && Number.isFinite(x)))
      throw new UserError(`--points[${i}]`, `expected ${d} finite numbers (the latent dimension), got ${JSON.stringify(row)}`);
    row.forEach((x: number, j) => (points[i * d + j] = x));
  });
  return { points, n: rows.length };
}
