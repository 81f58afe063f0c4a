// jest's transform for TypeScript: esbuild strips the types file by file (type-checking is
// `npm run typecheck`). ts-jest did the same through TypeScript's emitter at about ten times
// the cost on a cold cache, which is every CI run and every fresh copy of the repository.
const { createHash } = require("node:crypto");
const { transformSync, version } = require("esbuild");
const { compilerOptions } = require("../../tsconfig.json");

const options = {
  loader: "ts",
  format: "cjs",
  // Lambda runs nodejs22.x and this machine may run Node 20: what both understand.
  target: "node20",
  sourcemap: "external",
  sourcesContent: false,
  // import() becomes require(), as tsc emits it for CommonJS: jest's module registry serves both.
  supported: { "dynamic-import": false },
  // ES2022 class fields, as tsc emits them for the project's target.
  tsconfigRaw: { compilerOptions: { target: compilerOptions.target, useDefineForClassFields: true } },
};
const optionsKey = `${version}\0${JSON.stringify(options)}`;

module.exports = {
  getCacheKey(source, path) {
    return createHash("sha256").update(optionsKey).update("\0").update(path).update("\0").update(source).digest("hex");
  },
  process(source, path) {
    const { code, map } = transformSync(source, { ...options, sourcefile: path });
    return { code, map };
  },
};
