// typescript-eslint's recommended rules over src/, test/ and scripts/ (npm run lint; part of npm test).
// Turned off, because following them would mean rewriting working code rather than fixing bugs:
// - no-non-null-assertion is not in "recommended"; noUncheckedIndexedAccess makes `!` the idiom here.
// - @typescript-eslint/no-unused-vars: `_`-prefixed names are deliberate (destructuring to drop keys).
// - no-control-regex: parsers match control characters on purpose.
// - @typescript-eslint/no-explicit-any in test/ only: fixtures are raw JSON mutated freely.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "generated/", "templates/", "runs/", "demo/", "reports/", "scratch/", ".cache/", ".device/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        performance: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setImmediate: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        AbortController: "readonly",
        structuredClone: "readonly",
        queueMicrotask: "readonly",
        fetch: "readonly",
        navigator: "readonly",
        globalThis: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "no-control-regex": "off",
    },
  },
  { files: ["test/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
);
