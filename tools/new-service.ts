import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { parseCli, runMain, UsageError } from "./lib/cli";
import { deployOrder, loadServices, ROOT } from "./lib/project";
import {
  addDashboardWidgets,
  addEventRows,
  addNestedStack,
  copyEvents,
  copyTree,
  copyYamlBlocks,
  editFile,
  MODEL_SERVICE,
  type Names,
  namesOf,
  renamer,
  SERVICE_NAME,
} from "./lib/scaffold";

const USAGE = `Usage: npm run new-service -- <name>

Adds service <name>: src/${MODEL_SERVICE} copied under the new name (template,
metadata, handlers, domain, adapters), its unit tests and sample events, and its
entries in template.yaml, environments.yaml, ops' dashboard and events/README.md.
docs/conventions.md lists the steps. <name>: 2-20 characters of a-z and 0-9,
starting with a letter.`;

function checkName(name: string | undefined, root: string): string {
  if (name === undefined) throw new UsageError("Name the service, e.g. `npm run new-service -- hello`");
  if (!SERVICE_NAME.test(name)) {
    throw new UsageError(
      `'${name.slice(0, 40)}' is not a service name: 2-20 characters of a-z and 0-9, starting with a letter (it becomes stack, table and metric names)`,
    );
  }
  const taken = loadServices(join(root, "src")).some((service) => service.name === name);
  if (taken || existsSync(join(root, "src", name)))
    throw new UsageError(`src/${name} already exists; choose another name`);
  return name;
}

/** The nested stack, where deploy order puts it (the root template test checks), and its ApiUrl output. */
function rootTemplate(text: string, root: string, from: Names, to: Names): string {
  const rename = renamer(from, to);
  const order = deployOrder(loadServices(join(root, "src"))).map((service) => service.name);
  const next = order[order.indexOf(to.lower) + 1];
  const nested = addNestedStack(text, from, next === undefined ? undefined : namesOf(next), rename);
  return copyYamlBlocks(nested, new RegExp(`^  ${from.pascal}ApiUrl:$`), rename);
}

/** Every file the scaffold writes or edits, in the order docs/conventions.md lists them. */
function scaffold(root: string, from: Names, to: Names): string[] {
  const rename = renamer(from, to);
  const written = copyTree(join(root, "src", from.lower), join(root, "src", to.lower), rename);
  const tests = join(root, "tests", "unit", from.lower);
  if (existsSync(tests)) written.push(...copyTree(tests, join(root, "tests", "unit", to.lower), rename));
  written.push(...copyEvents(join(root, "events"), from, rename));
  const blocks = (header: RegExp) => (text: string) => copyYamlBlocks(text, header, rename);
  written.push(
    editFile(join(root, "events", "README.md"), (text) => addEventRows(text, from, rename), root),
    editFile(join(root, "template.yaml"), (text) => rootTemplate(text, root, from, to), root),
    editFile(join(root, "environments.yaml"), blocks(new RegExp(`^ +${from.lower}:$`)), root),
    editFile(
      join(root, "src", "ops", "template.yaml"),
      (text) => addDashboardWidgets(text, from, rename),
      root,
    ),
  );
  return written;
}

/** A renamed line may now fit where the model's did not: Biome lays the code out again. */
function formatCode(root: string, files: string[]): void {
  const code = files.filter((file) => /\.(ts|json)$/.test(file));
  const biome = join(root, "node_modules", "@biomejs", "biome", "bin", "biome");
  execFileSync(process.execPath, [biome, "format", "--write", ...code], { cwd: root, stdio: "ignore" });
}

export async function main(): Promise<number> {
  const { values, positionals } = parseCli(
    { allowPositionals: true, options: { help: { type: "boolean", short: "h", default: false } } },
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`One service at a time; got '${positionals.join(" ")}'`);
  const root = ROOT;
  const name = checkName(positionals[0], root);
  const written = scaffold(root, namesOf(MODEL_SERVICE), namesOf(name));
  formatCode(root, written);
  console.log(`Service ${name}, from ${MODEL_SERVICE}:`);
  for (const file of written) console.log(`  ${relative(root, file)}`);
  console.log(
    `Next: make src/${name}/domain its own, then \`npm test\` (docs/conventions.md, "Adding a service").`,
  );
  return 0;
}

if (require.main === module) runMain(main);
