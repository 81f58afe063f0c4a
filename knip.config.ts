import { relative } from "node:path";
import type { KnipConfig } from "knip";
import { listFunctions } from "./tools/lib/functions";
import { loadServices, ROOT } from "./tools/lib/project";

/**
 * `npm run lint:exports` (part of `npm run lint`): no export nobody imports. Besides what knip finds
 * itself (package.json scripts, jest, the workspaces' exports), the entry
 * points are what builds load by path: every function the service templates
 * declare (read from them, as the local stack and `npm run bundle` do), the
 * pipeline's deployer (pipeline.yaml), the web app, the cold-start bench's
 * baselines and the test fixtures' handlers.
 */
const functionEntries = loadServices()
  .flatMap(listFunctions)
  .map((spec) => relative(ROOT, spec.entryPoint));

const config: KnipConfig = {
  workspaces: {
    ".": {
      entry: [
        ...functionEntries,
        "src/pipeline/deployer/handler.ts",
        "src/web/app/main.ts",
        "tools/*.ts",
        "tools/bench-cold/baselines/*.ts",
        "tests/fixtures/**/*.ts",
      ],
      project: ["src/**/*.ts", "tools/**/*.ts", "tests/**/*.ts"],
    },
    "packages/local-stack": {
      entry: ["bench/*.ts", "test/integration/fixtures/**/*.ts"],
      project: ["src/**/*.ts", "test/**/*.ts", "bench/**/*.ts"],
    },
  },
  include: ["exports", "types", "files"],
  // A type named in its module's exported signatures stays exported, so callers can name it too.
  ignoreExportsUsedInFile: { interface: true, type: true },
};

export default config;
