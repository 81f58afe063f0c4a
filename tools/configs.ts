/**
 * npm run configs [-- --env dev] [--out dist/configs] [--samconfig]
 *
 * Validates environments.yaml, every src/<service>/metadata.yaml and the SSM
 * contract between templates, then writes one CodePipeline template
 * configuration per service and environment to <out>/<env>/<service>.json.
 * With --samconfig it also rewrites samconfig.toml from environments.yaml;
 * without, it says whether the committed one is out of date.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { loadTemplate } from "./lib/cfn-yaml";
import { list, parseCli, runMain, seconds } from "./lib/cli";
import {
  environmentNames,
  generateConfigurations,
  loadProject,
  writeConfigurations,
} from "./lib/configurations";
import { displayPath, ROOT } from "./lib/project";
import { checkRootTemplate, ROOT_TEMPLATE_FILE, renderSamconfig, SAMCONFIG_FILE } from "./lib/samconfig";

const USAGE = "usage: npm run configs [-- --env <name>[,<name>...]] [--out <dir>] [--samconfig]";

async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const { values: args } = parseCli(
    {
      options: {
        env: { type: "string", multiple: true },
        out: { type: "string", default: "dist/configs" },
        samconfig: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    },
    USAGE,
  );
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const project = loadProject();
  const requested = list(args.env);
  const environments = requested.length > 0 ? requested : environmentNames(project);
  const outDir = isAbsolute(args.out) ? args.out : join(ROOT, args.out);

  console.log(`Deploy order:   ${project.services.map((service) => service.name).join(" -> ")}`);
  console.log(
    `Teardown order: ${[...project.services]
      .reverse()
      .map((service) => service.name)
      .join(" -> ")}`,
  );

  const generated = generateConfigurations(project, environments);
  const written = writeConfigurations(generated, outDir);

  // The root template is only for `sam deploy`; the per-service configurations
  // above stand without it, so a mismatch warns here and fails the unit tests.
  if (existsSync(ROOT_TEMPLATE_FILE)) {
    const rootFile = displayPath(ROOT_TEMPLATE_FILE);
    try {
      checkRootTemplate(loadTemplate(ROOT_TEMPLATE_FILE), project, rootFile);
      console.log(`Root template:  ${rootFile} agrees with environments.yaml and the services`);
    } catch (error) {
      console.warn(`Root template:  WARNING ${(error as Error).message}`);
    }
  }
  const samconfig = renderSamconfig(project);
  const current = existsSync(SAMCONFIG_FILE) ? readFileSync(SAMCONFIG_FILE, "utf8") : undefined;
  if (args.samconfig) {
    writeFileSync(SAMCONFIG_FILE, samconfig);
    console.log(`samconfig.toml: ${current === samconfig ? "unchanged" : "written"}`);
  } else if (current !== samconfig) {
    console.warn("samconfig.toml: out of date with environments.yaml; run `npm run configs -- --samconfig`");
  } else {
    console.log("samconfig.toml: up to date");
  }

  console.log(
    `Wrote ${written.length} template configuration(s) (${project.services.length} service(s) x ${environments.length} environment(s): ${environments.join(", ")}) to ${displayPath(outDir)} in ${seconds(startedAt)}`,
  );
}

runMain(main);
