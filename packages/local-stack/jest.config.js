// `npm test -w packages/local-stack`: the package's own tests, with the
// repository's settings (the root `npm test` runs them too). The root's global
// setup builds the web app, which the package's tests never use.
const { globalSetup: _appOnly, ...root } = require("../../jest.config.js");

/** @type {import('jest').Config} */
module.exports = { ...root, rootDir: __dirname, roots: ["<rootDir>/test"] };
