import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CfnTemplate } from "../../tools/lib/cfn-yaml";
import { loadServices } from "../../tools/lib/project";

/**
 * A temporary copy of a services directory (each service's template.yaml and
 * metadata.yaml) with some templates changed, so a test can run the stack on a
 * variant (a wrong RolePath, an extra resource policy) without touching the
 * originals. Handlers need no copy: their EntryPoints resolve from the
 * repository root. Changed templates are written in JSON, which is YAML too.
 */
export interface ServiceCopy {
  srcDir: string;
  remove(): void;
}

export function copyServices(
  srcDir: string,
  edits: Record<string, (template: CfnTemplate) => void>,
): ServiceCopy {
  const root = mkdtempSync(join(tmpdir(), "meridian-services-"));
  const copyDir = join(root, "src");
  const services = new Map(loadServices(srcDir).map((service) => [service.name, service]));
  for (const name of Object.keys(edits)) {
    if (!services.has(name)) throw new Error(`copyServices: no service '${name}' in ${srcDir}`);
  }
  for (const entry of readdirSync(srcDir, { withFileTypes: true })) {
    const service = services.get(entry.name);
    if (!entry.isDirectory() || !service) continue;
    const target = join(copyDir, entry.name);
    mkdirSync(target, { recursive: true });
    copyFileSync(join(srcDir, entry.name, "metadata.yaml"), join(target, "metadata.yaml"));
    const edit = edits[entry.name];
    if (!edit) {
      copyFileSync(service.templatePath, join(target, "template.yaml"));
      continue;
    }
    const template = structuredClone(service.template);
    edit(template);
    writeFileSync(join(target, "template.yaml"), JSON.stringify(template, null, 2));
  }
  return { srcDir: copyDir, remove: () => rmSync(root, { recursive: true, force: true }) };
}
