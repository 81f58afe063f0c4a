import { join, relative } from "node:path";
import { parseCli, runMain } from "./lib/cli";
import { bundleFunction, listFunctions } from "./lib/functions";
import { deployOrder, loadServices, ROOT } from "./lib/project";

const USAGE = `usage: npm run bundle

Builds every function exactly as \`sam build\` does (esbuild options from the
template's Metadata) into dist/functions/<service>/<LogicalId>/ and prints
each bundle's size.`;

export async function main(): Promise<void> {
  const { values } = parseCli({ options: { help: { type: "boolean", short: "h", default: false } } }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const outRoot = join(ROOT, "dist", "functions");
  const started = performance.now();
  const rows: Array<[string, string, number]> = [];
  const services = deployOrder(loadServices());
  for (const [index, service] of services.entries()) {
    const specs = listFunctions(service);
    // Progress on stderr, so stdout stays the size table.
    process.stderr.write(
      `[${index + 1}/${services.length}] bundling ${service.name} (${specs.length} functions)\n`,
    );
    const results = await Promise.all(
      specs.map((spec) => bundleFunction(spec, join(outRoot, service.name, spec.logicalId))),
    );
    for (const result of results) {
      rows.push([service.name, result.spec.logicalId, result.bytes]);
    }
  }
  const width = Math.max(...rows.map(([service, id]) => `${service}/${id}`.length));
  for (const [service, id, bytes] of rows) {
    console.log(`${`${service}/${id}`.padEnd(width)}  ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(`${rows.length} functions bundled into ${relative(ROOT, outRoot)}/ in ${seconds}s`);
}

if (require.main === module) runMain(main);
