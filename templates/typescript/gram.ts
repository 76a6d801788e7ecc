// Copied into every generated TypeScript module by the emitter (not imported, so that a generated
// folder is self-contained). Jet matrices are column-major: X[c * width + unit].

/** ⟨column c1, column c2⟩ of a jet matrix with `width` rows per column. */
function gram(P: Float64Array, c1: number, c2: number, width: number): number {
  let s = 0;
  const a = c1 * width;
  const b = c2 * width;
  for (let k = 0; k < width; k++) s += P[a + k]! * P[b + k]!;
  return s;
}
