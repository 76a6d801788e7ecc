/**
 * JSON text for model.json and train configs: parsing with the line and column of the first syntax
 * error, the line and column of a value by its path (for schema errors), JSON paths in words, and the
 * canonical form hashed into `sourceHash`/`configHash`. Nesting is limited (MAX_JSON_DEPTH) before
 * anything recursive runs, so 100,000 unclosed brackets are one clear error, not a stack overflow.
 */
import { UserError } from "../util/errors.js";

type Path = readonly PropertyKey[];

/** Deepest nesting of arrays and objects accepted (model files and configs need fewer than 10). */
export const MAX_JSON_DEPTH = 64;

/** The deepest bracket nesting in JSON text and where it first exceeds `limit` (strings skipped); iterative, so any input is safe. */
export function jsonDepth(t: string, limit = MAX_JSON_DEPTH): { depth: number; overAt: number | null } {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let p = 0; p < t.length; p++) {
    const c = t.charCodeAt(p);
    if (inString) {
      if (c === 0x5c) p++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
      if (depth > limit) return { depth: max, overAt: p };
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return { depth: max, overAt: null };
}

export function formatPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else {
      const k = String(key);
      out += /^[A-Za-z_$][\w$]*$/.test(k) ? (out ? `.${k}` : k) : `[${JSON.stringify(k)}]`;
    }
  }
  return out || "model";
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  return { line, column: pos - before.lastIndexOf("\n") };
}

class JsonSyntaxError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message);
  }
}

/** A syntax error at `p`, worded as the end of input when the text ends there. */
const syntaxError = (t: string, p: number, expected: string): JsonSyntaxError =>
  new JsonSyntaxError(p, p >= t.length ? `unexpected end of input (${expected})` : expected);

const skipWs = (t: string, p: number): number => {
  while (p < t.length && " \t\n\r".includes(t[p]!)) p++;
  return p;
};

function skipString(t: string, p: number): number {
  const start = p++;
  for (;;) {
    const c = t[p];
    if (c === undefined) throw new JsonSyntaxError(start, "unterminated string");
    if (c === '"') return p + 1;
    if (c === "\\") {
      const e = t[p + 1] ?? "";
      if (e === "u" ? !/^[0-9a-fA-F]{4}$/.test(t.slice(p + 2, p + 6)) : !'"\\/bfnrt'.includes(e) || e === "")
        throw new JsonSyntaxError(p, "invalid escape sequence in string");
      p += e === "u" ? 6 : 2;
    } else if (c < " ") throw new JsonSyntaxError(p, "control character in string (write a newline as \\n)");
    else p++;
  }
}

const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** Offset just past the JSON value that starts at `p`; throws JsonSyntaxError where the text is not JSON. */
function skipValue(t: string, p: number): number {
  const c = t[p];
  if (c === '"') return skipString(t, p);
  if (c === "{" || c === "[") {
    const close = c === "{" ? "}" : "]";
    p = skipWs(t, p + 1);
    if (t[p] === close) return p + 1;
    for (;;) {
      if (c === "{") {
        if (t[p] !== '"') throw syntaxError(t, p, "expected a property name in double quotes");
        p = skipWs(t, skipString(t, p));
        if (t[p] !== ":") throw syntaxError(t, p, "expected ':' after the property name");
        p = skipWs(t, p + 1);
      }
      p = skipWs(t, skipValue(t, p));
      if (t[p] === close) return p + 1;
      if (t[p] !== ",") throw syntaxError(t, p, `expected ',' or '${close}'`);
      p = skipWs(t, p + 1);
      if (t[p] === close) throw new JsonSyntaxError(p, "trailing comma (JSON does not allow one)");
    }
  }
  SCALAR.lastIndex = p;
  const m = SCALAR.exec(t);
  if (m) return p + m[0].length;
  if (c === undefined) throw syntaxError(t, p, "expected a value");
  if (t.startsWith("//", p) || t.startsWith("/*", p)) throw new JsonSyntaxError(p, "comments are not allowed in JSON");
  if (c === "'") throw new JsonSyntaxError(p, "strings must use double quotes");
  throw new JsonSyntaxError(p, `expected a value, found ${JSON.stringify(c)}`);
}

/** JSON.parse with an error that gives the line and column of the first syntax error. */
export function parseJsonText(text: string, where: string): unknown {
  const t = text.replace(/^\uFEFF/, "");
  const { overAt } = jsonDepth(t);
  if (overAt !== null) {
    const { line, column } = lineColumn(t, overAt);
    throw new UserError(
      where,
      `JSON nested deeper than ${MAX_JSON_DEPTH} levels at line ${line}, column ${column}: a model or config never needs that; check the brackets`,
    );
  }
  try {
    return JSON.parse(t);
  } catch (err) {
    try {
      const end = skipWs(t, skipValue(t, skipWs(t, 0)));
      if (end < t.length) throw new JsonSyntaxError(end, "unexpected text after the JSON value");
    } catch (e) {
      if (e instanceof JsonSyntaxError) {
        const { line, column } = lineColumn(t, e.pos);
        throw new UserError(where, `invalid JSON at line ${line}, column ${column}: ${e.message}`);
      }
      throw e;
    }
    throw new UserError(where, `invalid JSON: ${(err as Error).message}`);
  }
}

/** Line and column of the value at `path` in JSON text, or null if the path is not in it. */
export function jsonLocation(text: string, path: Path): { line: number; column: number } | null {
  const t = text.replace(/^\uFEFF/, "");
  try {
    let p = skipWs(t, 0);
    for (const key of path) {
      const open = t[p];
      if (open !== "{" && open !== "[") return null;
      p = skipWs(t, p + 1);
      for (let i = 0; ; i++) {
        if (t[p] === "}" || t[p] === "]" || p >= t.length) return null;
        let k: unknown = i;
        if (open === "{") {
          const end = skipString(t, p);
          k = JSON.parse(t.slice(p, end));
          p = skipWs(t, skipWs(t, end) + 1);
        }
        if (k === key) break;
        p = skipWs(t, skipValue(t, p));
        if (t[p] === ",") p = skipWs(t, p + 1);
      }
    }
    return lineColumn(t, p);
  } catch {
    return null;
  }
}

/** Keys sorted recursively, no whitespace: the text hashed into `sourceHash`. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
