/**
 * npm run configs [-- --env dev] [--out dist/configs] [--samconfig]
 *
 * Validates environments.yaml, every src/<service>/metadata.yaml, the SSM
 * contract between templates and every service's configuration, then writes
 * the root stack's template configuration (the parameters samconfig.toml
 * passes too) per deployable environment to <out>/<env>/root.json.
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
import { rootConfigurations } from "./lib/root-stack";
import { checkRootTemplate, ROOT_TEMPLATE_FILE, renderSamconfig, SAMCONFIG_FILE } from "./lib/samconfig";

const USAGE = "usage: npm run configs [-- --env <name>[,<name>...]] [--out <dir>] [--samconfig]";

export async function main(): Promise<void> {
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

  // Each service's own configuration is checked too (a bad value fails here, naming the file).
  generateConfigurations(project, environments);
  const rootFile = displayPath(ROOT_TEMPLATE_FILE);
  checkRootTemplate(loadTemplate(ROOT_TEMPLATE_FILE), project, rootFile);
  console.log(`Root template:  ${rootFile} agrees with environments.yaml and the services`);
  const generated = rootConfigurations(project, environments);
  const written = writeConfigurations(generated, outDir);
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
    `Wrote ${written.length} root stack configuration(s) (${generated.map((entry) => entry.stackName).join(", ")}) to ${displayPath(outDir)} in ${seconds(startedAt)}`,
  );
}

if (require.main === module) runMain(main);
