/**
 * mathjs, loaded on first use: its loading alone costs about a second, and a model of named
 * activations never needs it (their rules are stored, activation-table.ts).
 */
import { createRequire } from "node:module";

export type MathJs = Pick<typeof import("mathjs"), "derivative" | "parse" | "simplify">;

let loaded: MathJs | null = null;

export const mathjs = (): MathJs => (loaded ??= createRequire(import.meta.url)("mathjs/number") as MathJs);
