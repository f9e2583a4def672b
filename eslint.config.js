// Lint rules that keep the architecture honest (docs/ARCHITECTURE.md):
// dependency direction between folders, small functions, no stray `any`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Folders a layer must not import from (the rule of direction in STYLE.md). */
const forbidden = {
  storage: ["repository", "pipeline", "restore", "cli", "agent", "sources", "crypto", "chunker", "compression"],
  crypto: ["repository", "pipeline", "restore", "cli", "agent", "storage", "sources"],
  chunker: ["repository", "pipeline", "restore", "cli", "agent", "storage", "sources"],
  compression: ["repository", "pipeline", "restore", "cli", "agent", "storage", "sources"],
  repository: ["pipeline", "restore", "cli", "agent", "sources"],
  sources: ["storage", "pipeline", "restore", "cli", "agent"],
  restore: ["pipeline", "cli", "agent", "storage"],
  pipeline: ["cli", "agent"],
  retention: ["pipeline", "restore", "cli", "agent", "sources"],
};

const layerRules = Object.entries(forbidden).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", { patterns: banned.map((b) => ({ group: [`../${b}/*`, `../../${b}/*`], message: `${layer}/ must not depend on ${b}/ (STYLE.md rule of direction)` })) }],
  },
}));

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["src/**/*.ts"],
    rules: {
      "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true }],
      complexity: ["error", 20],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  ...layerRules,
  {
    files: ["test/**/*.ts", "scripts/**/*.mjs", "bin/**/*.js"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-unused-vars": "off", "max-lines-per-function": "off" },
  },
  { files: ["scripts/**/*.mjs", "bin/**/*.js", "test/**/*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly" } } },
);
