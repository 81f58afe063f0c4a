/**
 * npm run templates:duplication [-- --src <dir>] [--show <service>]
 *
 * Prints, per service template, the % of its non-blank lines that sit in runs
 * of 6 or more consecutive lines identical to a run in another service
 * template (issue 11's copy-paste measure), and fails above the 20% ceiling.
 * --show lists one template's copied runs and where else each is.
 */
import { isAbsolute, join } from "node:path";
import { parseCli, runMain, UsageError } from "./lib/cli";
import { ROOT } from "./lib/project";
import {
  copiedRuns,
  MAX_PERCENT,
  measureDuplication,
  RUN,
  readServiceTemplates,
} from "./lib/template-duplication";

const USAGE = "usage: npm run templates:duplication [-- --src <dir>] [--show <service>]";

export async function main(): Promise<void> {
  const { values: args } = parseCli(
    {
      options: {
        src: { type: "string", default: "src" },
        show: { type: "string" },
        help: { type: "boolean", default: false },
      },
    },
    USAGE,
  );
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const srcDir = isAbsolute(args.src) ? args.src : join(ROOT, args.src);
  const templates = readServiceTemplates(srcDir);
  if (args.show !== undefined) {
    showRuns(templates, args.show);
    return;
  }
  const results = measureDuplication(templates);
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

function showRuns(templates: Record<string, string>, service: string): void {
  if (templates[service] === undefined) {
    throw new UsageError(`--show takes a service with a template: ${Object.keys(templates).join(", ")}`);
  }
  console.log(
    `Runs of >= ${RUN} lines in src/${service}/template.yaml copied from another service template:`,
  );
  for (const run of copiedRuns(templates, service)) {
    const where = `${run.first}-${run.last}`.padEnd(9);
    console.log(
      `  ${where} ${String(run.lines).padStart(3)} lines  ${run.text.slice(0, 48).padEnd(48)}  also in ${run.from.join(", ")}`,
    );
  }
}

if (require.main === module) runMain(main);
