const { availableParallelism } = require("node:os");

// Type-checking is `npm run typecheck` (tsc over src, tools and tests); jest
// only strips types (esbuild, see tests/support/esbuild-transform.js).
// This machine may run an older Node than Lambda's nodejs22.x; the SDK's notice
// about it would repeat in every test file. Workers inherit this variable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// Lambda sets this in an on-demand execution environment, and Powertools counts
// a cold start only there. No Powertools variable is set: a handler under test
// gets its Logger and Metrics from tests/support/handler-test.ts, and its output
// is captured there.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE ??= "on-demand";

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: `${__dirname}/tests/support/stack-environment.js`,
  roots: ["<rootDir>/tests", "<rootDir>/packages/local-stack/test"],
  testMatch: ["**/*.test.ts"],
  // A path, not <rootDir>: packages/local-stack's config reuses this one from its own root.
  transform: { "^.+\\.ts$": `${__dirname}/tests/support/esbuild-transform.js` },
  moduleFileExtensions: ["ts", "js", "json"],
  testTimeout: 30_000,
  // One worker more than cores: the integration files spend part of their time
  // waiting (caches to expire, Chromium, child processes), which another
  // file's work fills.
  maxWorkers: availableParallelism() + 1,
  globalSetup: "<rootDir>/tests/global-setup.ts",
};
