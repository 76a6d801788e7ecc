/**
 * What the report knows about metrics: a display name, which direction is better, and a short
 * explanation. Metric keys are matched loosely (case, separators and a train/test/val prefix
 * are ignored), so `test_mse`, `testMSE` and `mse` all find the MSE entry.
 */

/** "lower" / "higher" is better; a number: closer to it is better; "none": no ordering. */
export type Better = "lower" | "higher" | number | "none";

export interface MetricInfo {
  label: string;
  better: Better;
  description: string;
}

interface Entry extends MetricInfo {
  /** Matched against the normalised key (lower case, letters and digits only, split prefix removed). */
  pattern: RegExp;
}

/** Ordered: the first matching entry wins (so specific names precede general ones). */
const CATALOGUE: readonly Entry[] = [
  {
    pattern: /^(mean)?r2sqrtdetg$|^meanr2dmu$|^curvaturepenalty$|^r2dmu$/,
    label: "mean R²√det g",
    better: "lower",
    description:
      "Mean of R²·√det g over encoded test points: a Monte-Carlo estimate of ∫R² dμ against the data distribution (the reference work's curvature measure). 0 for a flat latent space.",
  },
  {
    pattern: /^medianr2sqrtdetg$/,
    label: "median R²√det g",
    better: "lower",
    description:
      "Median of R²·√det g over encoded test points. A few points can dominate the mean (the mean can be many times the median), so both are shown.",
  },
  {
    pattern: /^gridmedianr2sqrtdetg$/,
    label: "median R²√det g on the grid",
    better: "lower",
    description: "Median of R²·√det g over the cells of the regular grid on the latent box.",
  },
  {
    pattern: /^gridmeanr2sqrtdetg$/,
    label: "mean R²√det g on the grid",
    better: "lower",
    description:
      "Mean of R²·√det g over the cells of a regular grid on the latent box (the encoded test points' bounding box, or the flat torus): curvature density everywhere in the box, not only where the data lies.",
  },
  {
    pattern: /^gridmeanabsr$/,
    label: "mean |R| on the grid",
    better: "lower",
    description: "Mean absolute scalar curvature over the cells of a regular grid on the latent box.",
  },
  {
    pattern: /^medianabsr$/,
    label: "median |R|",
    better: "lower",
    description: "Median absolute scalar curvature at the encoded test points (robust to a few extreme points).",
  },
  {
    pattern: /^q95absr$/,
    label: "95th percentile of |R|",
    better: "lower",
    description: "95 % of the encoded test points have a smaller absolute scalar curvature: the size of the curvature spikes.",
  },
  {
    pattern: /^(mean)?sqrtdetg$/,
    label: "mean √det g",
    better: "none",
    description:
      "Mean volume element √det g of the pullback metric at encoded test points: the decoder's area stretching (sets the latent scale).",
  },
  {
    pattern: /^degenerate(share|fraction|points)?$/,
    label: "degenerate share",
    better: "lower",
    description: "Share of encoded test points where det g ≤ ε: the decoder collapses the latent space there and curvature is undefined.",
  },
  {
    pattern: /^(swissroll)?spearmanheight$/,
    label: "rank correlation with height",
    better: "higher",
    description: "Best |Spearman ρ| between the Swiss roll's ground-truth height and a latent direction; 1 = a monotone copy.",
  },
  {
    pattern: /^(cloud|class)conditionnumber$/,
    label: "condition number of g per cloud",
    better: "lower",
    description:
      "For each class (cloud), the median over its test points of the condition number λmax/λmin of g; averaged over classes. 1 = the decoder is conformal where the class lies.",
  },
  {
    pattern: /^integralr2dmu$/,
    label: "∫R² dμ over the latent box",
    better: "lower",
    description:
      "Σ R²·√det g · cell volume over a regular grid on the latent box (bounding box of the encoded test points, or the flat torus): ∫R² dμ against the Lebesgue measure, everywhere in the box.",
  },
  {
    pattern: /^(int|integral|uniform|grid)r2(dz|dmu|sqrtdetg)?$/,
    label: "∫R² dμ (uniform)",
    better: "lower",
    description:
      "∫R² √det g dz over the latent box, estimated with uniform samples or a grid (Lebesgue measure, not the data distribution).",
  },
  {
    pattern: /^(mean)?absr$|^meanabscurvature$/,
    label: "mean |R|",
    better: "lower",
    description: "Mean absolute scalar curvature of the pullback metric at encoded points.",
  },
  {
    pattern: /^(recon|reconstruction)?r2pooled$/,
    label: "reconstruction R² (pooled, research)",
    better: "higher",
    description:
      "The research's reconstruction R²: 1 − MSE / (variance of all test values pooled around their single mean); 1 is perfect. Never below the per-feature R².",
  },
  {
    pattern: /^(recon)?r2$|^rsquared$|^reconstructionr2$/,
    label: "reconstruction R² (per-feature)",
    better: "higher",
    description:
      "Coefficient of determination of the reconstruction, 1 − Σ‖x − x̂‖² / Σ_ij (x_ij − μ_j)², with μ_j the mean of feature j; 1 is perfect. Not the research's definition (see the pooled R²).",
  },
  {
    pattern: /^(recon)?mse$|^reconstructionmse$|^reconstructionerror$/,
    label: "MSE",
    better: "lower",
    description: "Mean squared reconstruction error ‖x − Ψ(Φ(x))‖² averaged over points and coordinates.",
  },
  {
    pattern: /^trustworthiness(k?\d+)?$|^trust(k?\d+)?$/,
    label: "trustworthiness",
    better: "higher",
    description:
      "Trustworthiness T(k) (Venna & Kaski): penalises latent neighbours that are far apart in the data (false neighbours); 1 = none.",
  },
  {
    pattern: /^continuity(k?\d+)?$/,
    label: "continuity",
    better: "higher",
    description: "Continuity C(k): penalises data neighbours that the latent space separates (tearing); 1 = none.",
  },
  {
    pattern: /^tearing/,
    label: "tearing",
    better: "lower",
    description: "Share of data-space neighbours mapped far apart in the latent space.",
  },
  {
    pattern: /^geodesic(length)?ratiogrid$/,
    label: "geodesic length ratio (grid, research)",
    better: 1,
    description:
      "The research's estimator: a grid of geodesics across the latent box, each compared with the image under exp_p of the straight line between its ends in the logarithmic chart at the grid's centre p; length of the geodesic / length of that image, averaged over the lines. 1 = flat; curvature makes it smaller.",
  },
  {
    pattern: /^geodesic(length)?ratio$|^geodesic$/,
    label: "geodesic length ratio (random pairs)",
    better: 1,
    description:
      "Length under g of the shortest path between two latent codes divided by that of the straight latent segment between them, averaged over pairs: 1 = straight lines are geodesics (flat-like); below 1 the metric offers shortcuts.",
  },
  {
    pattern: /^kmeansfpaircounting$/,
    label: "k-means F (pair counting, research)",
    better: "higher",
    description:
      "The research's k-means score: pair-counting F = 2a/(2a + b + c) of k-means clusters (k = number of classes; on the flat torus for a periodic latent) against the labels, over 300 random test codes, mean of 10 draws. a = pairs together in both, b and c = together in only one.",
  },
  {
    pattern: /^kmeansf1classmax$/,
    label: "k-means F1 (best per class)",
    better: "higher",
    description:
      "k-means clusters in latent space scored per class by the best F1 against any cluster, weighted by class size (not the research's pair-counting F); 1 = clusters are the classes.",
  },
  {
    pattern: /^(kmeans)?fmeasure$|^f1$|^kmeansf$/,
    label: "k-means F-measure",
    better: "higher",
    description: "F-measure of k-means clusters in latent space against the true classes; 1 = clusters are the classes.",
  },
  {
    pattern: /^(swissroll)?(spearman|correlation|rankcorrelation)(t)?$|^swissrollcorrelation$/,
    label: "rank correlation with t",
    better: "higher",
    description:
      "Best |Spearman ρ| between a Swiss roll ground-truth coordinate (t, height) and a latent direction; 1 = a monotone copy (unrolled in order).",
  },
  {
    pattern: /^rotationspearmant$/,
    label: "rotated axis 1: rank correlation with t",
    better: "higher",
    description:
      "At the rotation of the latent plane that best meets both targets (|ρ| ≥ 0.97 with t on one axis, ≥ 0.90 with the height on the orthogonal one): |Spearman ρ| of the first axis with t.",
  },
  {
    pattern: /^rotationspearmanheight$/,
    label: "rotated axis 2: rank correlation with height",
    better: "higher",
    description: "At the same rotation: |Spearman ρ| of the orthogonal axis with the Swiss roll's height.",
  },
  {
    pattern: /^unrollscore$/,
    label: "unrolling score",
    better: "higher",
    description:
      "max over rotations θ of the latent plane of min(|ρ(axis₁, t)| / 0.97, |ρ(axis₂, height)| / 0.90): ≥ 1 when one rotation meets both of the poster's targets.",
  },
  {
    pattern: /^knnoverlapt(height)?$/,
    label: "10-NN overlap with the (t, height) chart",
    better: "higher",
    description:
      "Mean over test codes of |N_latent ∩ N_true| / 10, with N_true the 10 nearest neighbours in the true (t, height) chart; 1 = same neighbourhoods.",
  },
  {
    pattern: /^knnoverlaptheightexactunrolling$/,
    label: "(reference) 10-NN overlap of the exact unrolling with (t, height)",
    better: "none",
    description:
      "The same overlap computed for the true unrolled chart (arc length, height) itself: the most an undistorted unrolling can score against the (t, height) chart, since t is not arc length.",
  },
  {
    pattern: /^knnoverlaparclength(height)?$/,
    label: "10-NN overlap with the unrolled chart",
    better: "higher",
    description:
      "As the (t, height) overlap, against the isometric unrolled chart (arc length along the spiral, height), which an undistorted unrolling reproduces.",
  },
  {
    pattern: /^isometrydistortion$/,
    label: "isometry distortion (IRVAE)",
    better: "lower",
    description: "d·mean Tr(g²)/(mean Tr g)² − 1 over the test codes (IRVAE's relaxed distortion): 0 = isometric up to one global scale.",
  },
  {
    pattern: /^cloudeigenratiomin$/,
    label: "worst cloud's eigenvalue ratio",
    better: 1,
    description: "Smallest over the clouds of λmin/λmax of a cloud's latent covariance: 1 = every cloud kept isotropic.",
  },
  {
    pattern: /^cloudmeanconditionnumbermax$/,
    label: "worst cloud's mean condition number of g",
    better: "lower",
    description: "Largest over the clouds of the mean of cond(g) = λmax/λmin at the cloud's codes: 1 = conformal on every cloud.",
  },
  {
    pattern: /^meanconditionnumber(g)?$/,
    label: "mean condition number of g",
    better: "lower",
    description: "Mean over test codes of λmax/λmin of g: 1 = conformal (angles preserved) everywhere.",
  },
  {
    pattern: /^conditionnumber$|^medianconditionnumber$/,
    label: "median condition number of g",
    better: "lower",
    description: "Median over test codes of λmax/λmin of g: 1 = conformal (angles preserved).",
  },
  {
    pattern: /^(mean)?procrustes(error)?$/,
    label: "Procrustes error",
    better: "lower",
    description: "Residual of the best similarity transform from latent codes to the true in-plane coordinates; 0 = undistorted copy.",
  },
  {
    pattern: /^(mean)?eigenratio$|^isotropy$/,
    label: "covariance eigenvalue ratio",
    better: 1,
    description: "Smallest over largest eigenvalue of a class's latent covariance: 1 keeps an isotropic Gaussian isotropic.",
  },
  {
    pattern: /^(mean|median)?condition(number)?(g)?$|^condg$/,
    label: "condition number of g",
    better: "lower",
    description: "Ratio of the metric's largest to smallest eigenvalue: 1 = conformal (angles preserved).",
  },
  {
    pattern: /^(total)?loss$/,
    label: "loss",
    better: "lower",
    description: "Total training objective λ_recon·MSE ± λ_curv·L_curv (+ extra terms) at the end of training.",
  },
  {
    pattern: /^(recon|reconstruction)(loss)?$/,
    label: "reconstruction loss",
    better: "lower",
    description: "Reconstruction part of the training loss.",
  },
  {
    pattern: /^curv(ature)?(loss)?$/,
    label: "curvature loss",
    better: "none",
    description: "Curvature part of the training loss (∫R²dμ, F or W, as configured); its sign depends on the configured direction.",
  },
  {
    pattern: /^(perelman)?f$|^ffunctional$/,
    label: "Perelman F",
    better: "none",
    description: "F(g, f) = ∫(R + |∇f|²) e^(−f) dμ; not scale-invariant, so compare it only between runs with the same latent scale.",
  },
  {
    pattern: /^(perelman)?w$|^wfunctional$|^entropy$/,
    label: "Perelman W",
    better: "none",
    description: "W(g, f, τ) = ∫[τ(|∇f|² + R) + f − n](4πτ)^(−n/2) e^(−f) dμ, Perelman's entropy.",
  },
  {
    pattern: /seconds$|^(wall|train|elapsed|run)?times?$|^walls?$|^elapseds?$/,
    label: "time (s)",
    better: "none",
    description: "Wall-clock time.",
  },
];

/** Lower case, letters and digits only, without a leading train/test/val/eval prefix. */
export function normaliseMetricKey(key: string): string {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  return k.replace(/^(validation|valid|val|test|train|eval|final)(?=[a-z0-9]{2,})/, "");
}

/** What the report knows about `key`, or undefined. `overrides` (by exact key) win. */
export function metricInfo(key: string, overrides?: Readonly<Record<string, MetricInfo>>): MetricInfo | undefined {
  const o = overrides?.[key];
  if (o) return o;
  const n = normaliseMetricKey(key);
  const e = CATALOGUE.find((c) => c.pattern.test(n));
  return e ? { label: e.label, better: e.better, description: e.description } : undefined;
}

/** A short phrase for the direction: "lower is better", "closer to 1 is better", … */
export function betterPhrase(b: Better): string {
  if (b === "none") return "no preferred direction";
  if (typeof b === "number") return `closer to ${b} is better`;
  return `${b} is better`;
}

/**
 * Indices of the best values (ties all count) among `values`, or [] when there is no ordering,
 * fewer than two finite values, or all finite values are equal.
 */
export function bestIndices(values: readonly (number | null | undefined)[], better: Better): number[] {
  if (better === "none") return [];
  const score = (v: number): number => (better === "lower" ? v : better === "higher" ? -v : Math.abs(v - better));
  const finite = values.map((v) => (typeof v === "number" && Number.isFinite(v) ? score(v) : NaN));
  const ok = finite.filter((s) => !Number.isNaN(s));
  if (ok.length < 2) return [];
  const best = Math.min(...ok);
  if (ok.every((s) => s === best)) return [];
  return finite.flatMap((s, i) => (s === best ? [i] : []));
}
