/** Writes schemas/*.schema.json from the zod schemas (src/model/json-schema.ts): `npm run schemas`. */
import { join } from "node:path";
import { schemaFiles } from "../src/cli/json-schema.js";
import { writeFileAtomic } from "../src/util/atomic.js";

const dir = join(import.meta.dirname, "..", "schemas");
for (const [name, text] of schemaFiles()) {
  writeFileAtomic(join(dir, name), text);
  process.stdout.write(`wrote schemas/${name}\n`);
}
