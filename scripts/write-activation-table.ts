/**
 * Writes src/rules/activation-table.ts: σ, σ′, …, σ⁗ of every named activation, derived by mathjs
 * (src/rules/activations.ts deriveActivation), in the exact text form of src/rules/formula-text.ts.
 * `npm run activation-table`; test/activation-table.test.ts fails when the stored table is stale.
 */
import { join } from "node:path";
import { deriveActivation, NAMED_ACTIVATIONS } from "../src/rules/activations.js";
import { formulaText } from "../src/rules/formula-text.js";
import { writeFileAtomic } from "../src/util/atomic.js";

const ORDER = 4;
const rows = NAMED_ACTIVATIONS.map((name) => {
  const texts = deriveActivation({ kind: "named", name }, ORDER).map(formulaText);
  return `  ${name}: [\n${texts.map((t) => `    ${JSON.stringify(t)},\n`).join("")}  ],\n`;
});
const text = `/**
 * σ, σ′, …, σ⁽${ORDER}⁾ of each named activation (in x), as derived by mathjs from the rules in
 * activations.ts, in formula-text.ts's exact form. Written by scripts/write-activation-table.ts
 * (\`npm run activation-table\`); test/activation-table.test.ts checks it against a fresh derivation.
 */
import type { NamedActivation } from "../model/types.js";

export const ACTIVATION_TABLE_ORDER = ${ORDER};

export const ACTIVATION_TABLE: Record<NamedActivation, readonly string[]> = {
${rows.join("")}};
`;
writeFileAtomic(join(import.meta.dirname, "..", "src", "rules", "activation-table.ts"), text);
process.stdout.write("wrote src/rules/activation-table.ts\n");
