import { join, relative } from "node:path";
import type { KnipConfig } from "knip";
import { loadTemplate } from "./tools/lib/cfn-yaml";
import { listFunctions, templateFunctions } from "./tools/lib/functions";
import { loadServices, ROOT } from "./tools/lib/project";

/**
 * `npm run lint:exports` (part of `npm run lint`): no export or file nobody
 * uses. Besides what knip finds itself (package.json scripts, jest, the
 * workspaces' exports), the entry points are what builds load by path: the
 * functions the service templates declare (read as the local stack and
 * `npm run bundle` read them) and pipeline.yaml's, the web app, the
 * cold-start bench's baselines and the test fixtures' handlers.
 */
const serviceFunctions = loadServices()
  .flatMap(listFunctions)
  .map((spec) => relative(ROOT, spec.entryPoint));
const pipelineFunctions = templateFunctions(
  "pipeline",
  loadTemplate(join(ROOT, "pipeline.yaml")),
  "pipeline.yaml",
).map((spec) => relative(ROOT, spec.entryPoint));

const config: KnipConfig = {
  workspaces: {
    ".": {
      entry: [
        ...serviceFunctions,
        ...pipelineFunctions,
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
