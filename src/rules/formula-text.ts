/**
 * A Formula as text and back, exactly: every operation in call form (`mul(2,tanh(x))`), numbers in
 * JavaScript's shortest round-trip form, variables by name. The stored table of activation rules
 * (activation-table.ts) is written in it, so the rules are readable and need no mathjs to load.
 */
import { BINARY_FUNCTIONS, UNARY_FUNCTIONS, type Formula } from "./formula.js";

export function formulaText(f: Formula): string {
  switch (f.op) {
    case "num":
      return Object.is(f.value, -0) ? "-0" : String(f.value);
    case "var":
      return f.name;
    default:
      return `${f.op}(${f.args.map(formulaText).join(",")})`;
  }
}

const UNARY = new Set<string>(UNARY_FUNCTIONS);
const BINARY = new Set<string>(BINARY_FUNCTIONS);
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|^-?Infinity|^NaN/;
const NAME = /^[A-Za-z_][A-Za-z_0-9]*/;

/** Parse formulaText's output; anything else is an Error naming the position. */
export function parseFormulaText(text: string): Formula {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`formula text: ${what} at ${pos} in ${text.slice(Math.max(0, pos - 20), pos + 20)}`);
  };
  const expect = (c: string): void => {
    if (text[pos] !== c) fail(`expected '${c}'`);
    pos++;
  };
  const term = (): Formula => {
    const rest = text.slice(pos);
    const number = NUMBER.exec(rest);
    if (number) {
      pos += number[0].length;
      return { op: "num", value: Number(number[0]) };
    }
    const name = NAME.exec(rest)?.[0] ?? fail("expected a number or a name");
    pos += name.length;
    if (text[pos] !== "(") return { op: "var", name };
    pos++;
    const first = term();
    if (UNARY.has(name)) {
      expect(")");
      return { op: name as Extract<Formula, { args: [Formula] }>["op"], args: [first] };
    }
    if (!BINARY.has(name)) fail(`unknown operation '${name}'`);
    expect(",");
    const second = term();
    expect(")");
    return { op: name as Extract<Formula, { args: [Formula, Formula] }>["op"], args: [first, second] };
  };
  const f = term();
  if (pos !== text.length) fail("trailing text");
  return f;
}
