// jest's test environment with one local stack per jest worker, for the
// integration files that need only the default stack. jest gives every test
// file its own module registry and tears it down after the file, so a stack
// loaded through a file's registry cannot outlive that file; this module is
// loaded once per worker by Node itself, and so is the stack it starts (its
// TypeScript through tsx, as npm start loads it).
const { rmSync } = require("node:fs");
const { TestEnvironment } = require("jest-environment-node");

/** jest-worker's "end" message to a worker (CHILD_MESSAGE_END, which jest-worker does not export). */
const CHILD_MESSAGE_END = 2;

let shared;

function startSharedStack() {
  require("tsx/cjs/api").register();
  const { startTestStack } = require("./local-stack.ts");
  const stack = startTestStack();
  // jest ends a worker by message and kills it if it is still alive 500 ms later; the stack's
  // servers would keep it alive, so the worker stops the stack (250 ms at most) and exits.
  process.on("message", (message) => {
    if (!Array.isArray(message) || message[0] !== CHILD_MESSAGE_END) return;
    const deadline = new Promise((resolve) => setTimeout(resolve, 250));
    void stack
      .then((started) => Promise.race([started.stop(), deadline]).then(() => started.dataDir))
      .then((dataDir) => rmSync(dataDir, { recursive: true, force: true }))
      .finally(() => process.exit(0));
  });
  return stack;
}

class StackEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    // In jest's own process (--runInBand, one file) nothing would end a shared stack: none is offered.
    this.global.meridianSharedStack =
      typeof process.send === "function" ? () => (shared ??= startSharedStack()) : undefined;
  }
}

module.exports = StackEnvironment;
