import { Rng } from "/work/main/src/util/random.js";
import { neighbourhoodPreservation, tearing, geodesicLengthRatio, kmeans, swissRollCorrelation } from "/work/main/src/runtime/eval/index.js";
const rng = new Rng(1);
const n = 5000;
for (const D of [3, 784]) {
  const x = Float64Array.from({ length: n * D }, () => rng.normal());
  const z = Float64Array.from({ length: n * 2 }, () => rng.normal());
  let t0 = performance.now();
  const r = neighbourhoodPreservation(x, z, n, D, 2);
  console.log(D, "T/C", r, ((performance.now() - t0) / 1000).toFixed(2), "s");
  t0 = performance.now();
  tearing(x, z, n, D, 2);
  console.log(D, "tearing", ((performance.now() - t0) / 1000).toFixed(2), "s");
}
let t0 = performance.now();
const z = Float64Array.from({ length: n * 2 }, () => rng.normal());
kmeans(z, n, 2, 3); console.log("kmeans", ((performance.now() - t0) / 1000).toFixed(2));
t0 = performance.now();
swissRollCorrelation(z, n, 2, z.filter((_, i) => i % 2 === 0), z.filter((_, i) => i % 2 === 1)); console.log("swiss", ((performance.now() - t0) / 1000).toFixed(2));
const sphere = (zz: Float64Array, m: number) => { const o = new Float64Array(4*m); for (let i=0;i<m;i++) o.set([1,0,0,Math.cos(zz[2*i]!)**2],4*i); return o; };
for (const N of [8, 16, 32]) {
  const res = await geodesicLengthRatio(sphere, Float64Array.from([1, 0]), Float64Array.from([1, 2]), 1, 2, { segments: N });
  const great = Math.acos(Math.sin(1) ** 2 + Math.cos(1) ** 2 * Math.cos(2));
  console.log(N, res.ratios[0], great / (Math.cos(1) * 2), res.iterations);
}
