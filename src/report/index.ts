/**
 * Presentation layer on top of the runtime: pictures (SVG, PNG through resvg) and the
 * self-contained HTML report of one run or a before/after comparison of several.
 */
export {
  scatterPlot,
  scatterPanels,
  heatmapPlot,
  heatmapPanels,
  heatmapScale,
  curvesPlot,
  curveKeys,
  CURVE_BOOKKEEPING,
  type Plot,
  type ColourBy,
  type LatentPoints,
  type FieldGrid,
  type ScatterPanel,
  type HeatmapPanel,
  type ScatterOptions,
  type HeatmapOptions,
  type CurveRecord,
  type CurveRun,
  type CurvesOptions,
  type MetricField,
} from "./plots.js";
export { toPng, pngSize, fontSetup, FontUnavailableError, FONT_PACKAGE, PNG_SIGNATURE, type PngOptions, type FontSetup } from "./png.js";
export {
  sequentialScale,
  divergingScale,
  categoricalColours,
  robustRange,
  robustSymmetric,
  quantileSorted,
  MISSING_COLOUR,
  type ContinuousScale,
  type RobustRange,
  type Transform,
} from "./color.js";
export { metricInfo, bestIndices, betterPhrase, normaliseMetricKey, type MetricInfo, type Better } from "./metrics.js";
export {
  renderReport,
  writeReport,
  jsonHtml,
  type RunData,
  type RunLatent,
  type FieldData,
  type ReportOptions,
  type RenderedReport,
  type WrittenReport,
} from "./report.js";
export { formatValue, formatTick } from "./svg.js";
export { indicatrix, indicatrixMarks, wrapToTorus, type Ellipse } from "./marks.js";
export { movingAverage, curveLabel } from "./curves.js";
export { noiseRule, type NoiseRule } from "./metric-table.js";
export { runSubtitle } from "./report.js";
export { sampleRuns, type SampleOptions } from "./sample.js";
