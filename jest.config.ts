import type { Config } from "jest";

// Type-checking is `npm run typecheck` (tsc over src, tools and tests); ts-jest
// only transpiles so the suite stays fast on two cores.
const config: Config = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] },
  moduleFileExtensions: ["ts", "js", "json"],
  testTimeout: 30_000,
  maxWorkers: 2,
};

export default config;
