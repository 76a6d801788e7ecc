/** Reading a model.json file: file errors and JSON syntax errors become UserErrors, then parseModel validates. */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "../util/errors.js";
import { parseJsonText, parseModel } from "./schema.js";
import type { Model } from "./types.js";

function readProblem(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return "no such file; check the path (the examples are in examples/*.model.json)";
    case "EISDIR":
      return "is a directory; give the path of a model.json file";
    case "EACCES":
      return "permission denied";
    default:
      return `cannot read the file: ${(e as Error).message}`;
  }
}

export function loadModel(path: string): Model {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UserError(path, readProblem(e));
  }
  const raw = parseJsonText(text, path);
  return parseModel(raw, { baseDir: dirname(resolve(path)), sourceText: text });
}
