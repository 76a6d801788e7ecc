// Copied into every generated TypeScript module by the emitter (not imported, so that a generated
// folder is self-contained). Jet matrices are column-major: X[c * width + unit].

/** Y = W X (+ b on the value column) for `columns` jet columns. */
function dense(
  params: Float64Array,
  wOffset: number,
  bOffset: number,
  fanIn: number,
  units: number,
  columns: number,
  X: Float64Array,
  Y: Float64Array,
): void {
  for (let c = 0; c < columns; c++) {
    for (let o = 0; o < units; o++) {
      let s = c === 0 ? params[bOffset + o]! : 0;
      const w = wOffset + o * fanIn;
      const x = c * fanIn;
      for (let i = 0; i < fanIn; i++) s += params[w + i]! * X[x + i]!;
      Y[c * units + o] = s;
    }
  }
}
