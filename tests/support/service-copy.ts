import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { CfnTemplate } from "../../tools/lib/cfn-yaml";
import { loadServices } from "../../tools/lib/project";

/**
 * A temporary copy of a services directory (each service's template.yaml and
 * metadata.yaml) with some templates changed, so a test can run the stack on a
 * variant (a wrong RolePath, an extra resource policy) without touching the
 * originals; the shared templates they nest are copied alongside. Handlers need no copy: their EntryPoints resolve from the
 * repository root. Changed templates are written in JSON, which is YAML too.
 */
export interface ServiceCopy {
  srcDir: string;
  remove(): void;
}

/**
 * Changes, for this one service, the template it nests as `logicalId` (src/shared/templates):
 * the changed copy is written next to the shared ones and the service's Location points at it.
 */
export type NestedEdit = (logicalId: string, edit: (template: CfnTemplate) => void) => void;

export function copyServices(
  srcDir: string,
  edits: Record<string, (template: CfnTemplate, nested: NestedEdit) => void>,
): ServiceCopy {
  const root = mkdtempSync(join(tmpdir(), "meridian-services-"));
  const copyDir = join(root, "src");
  const services = new Map(loadServices(srcDir).map((service) => [service.name, service]));
  const changedShared = new Map<string, CfnTemplate>();
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
    edit(template, (logicalId, editNested) => {
      const application = service.applications?.[logicalId];
      const nesting = template.Resources[logicalId];
      if (!application || !nesting) throw new Error(`copyServices: ${entry.name} nests no '${logicalId}'`);
      const nested = structuredClone(application.template);
      editNested(nested);
      const file = `${basename(application.templatePath).replace(/\.ya?ml$/, "")}-${entry.name}.json`;
      changedShared.set(file, nested);
      nesting.Properties = { ...nesting.Properties, Location: `../shared/templates/${file}` };
    });
    writeFileSync(join(target, "template.yaml"), JSON.stringify(template, null, 2));
  }
  // The templates services nest (`Location: ../shared/templates/...`) resolve next to the copies.
  const shared = join(srcDir, "shared", "templates");
  if (existsSync(shared)) cpSync(shared, join(copyDir, "shared", "templates"), { recursive: true });
  for (const [file, nested] of changedShared)
    writeFileSync(join(copyDir, "shared", "templates", file), JSON.stringify(nested, null, 2));
  return { srcDir: copyDir, remove: () => rmSync(root, { recursive: true, force: true }) };
}
