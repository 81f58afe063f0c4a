// Type-checking is `npm run typecheck` (tsc over src, tools and tests); ts-jest
// only transpiles so the suite stays fast on two cores.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  moduleFileExtensions: ["ts", "js", "json"],
  testTimeout: 30_000,
  maxWorkers: 2,
};
