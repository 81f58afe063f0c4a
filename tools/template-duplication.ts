/**
 * npm run templates:duplication [-- --src <dir>]
 *
 * Prints, per service template, the % of its non-blank lines that sit in runs
 * of 6 or more consecutive lines identical to a run in another service
 * template (issue 11's copy-paste measure), and fails above the 20% ceiling.
 */
import { isAbsolute, join } from "node:path";
import { parseCli, runMain } from "./lib/cli";
import { ROOT } from "./lib/project";
import { MAX_PERCENT, measureDuplication, RUN, readServiceTemplates } from "./lib/template-duplication";

const USAGE = "usage: npm run templates:duplication [-- --src <dir>]";

async function main(): Promise<void> {
  const { values: args } = parseCli(
    { options: { src: { type: "string", default: "src" }, help: { type: "boolean", default: false } } },
    USAGE,
  );
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const srcDir = isAbsolute(args.src) ? args.src : join(ROOT, args.src);
  const results = measureDuplication(readServiceTemplates(srcDir));
  console.log(`Lines in runs of >= ${RUN} identical to another service template (ceiling ${MAX_PERCENT}%):`);
  for (const { service, lines, duplicated, percent } of results) {
    console.log(
      `  ${service.padEnd(10)} ${percent.toFixed(1).padStart(5)}%  (${duplicated} of ${lines} lines)`,
    );
  }
  const over = results.filter((result) => result.percent > MAX_PERCENT);
  if (over.length > 0) {
    throw new Error(`above ${MAX_PERCENT}%: ${over.map((result) => result.service).join(", ")}`);
  }
}

runMain(main);
