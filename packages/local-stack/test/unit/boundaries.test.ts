import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/**
 * The package's import rules, checked on the source text:
 * - a folder imports only folders below it, and only through their entry
 *   (`index.ts`): template -> iam -> support, never the other way; services
 *   and gateway are siblings and never import each other; only stack.ts (and
 *   the entry points) compose the folders;
 * - the package imports nothing outside itself (no project code, no src/);
 * - code outside the package imports only its entries: `@meridian/local-stack`,
 *   and `@meridian/local-stack/templates` for reading templates without
 *   loading the stack.
 */

const PACKAGE = resolve(__dirname, "..", "..");
const SRC = join(PACKAGE, "src");
const REPO = resolve(PACKAGE, "..", "..");

/** What each part may import. Top-level leaf modules first, then the folders from the bottom up. */
const ALLOWED: Record<string, string[]> = {
  constants: [],
  errors: ["constants"],
  project: [],
  support: ["constants", "errors"],
  iam: ["constants", "errors", "project", "support"],
  template: ["constants", "errors", "project", "support", "iam"],
  runtime: ["constants", "errors", "project", "support", "template"],
  services: ["constants", "errors", "project", "support", "iam", "template", "runtime"],
  gateway: ["constants", "errors", "project", "support", "iam", "template", "runtime"],
  stack: ["constants", "errors", "project", "support", "iam", "template", "runtime", "services", "gateway"],
  testing: ["iam", "support", "stack"],
  templates: ["project", "template"],
  index: [
    "constants",
    "errors",
    "project",
    "support",
    "iam",
    "template",
    "runtime",
    "services",
    "stack",
    "testing",
  ],
};
const FOLDERS = ["support", "iam", "template", "runtime", "services", "gateway"];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "fixtures") return [];
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((match) => match[1] ?? "");
}

/** `template`, `stack`, `errors`... for a file of the package's src. */
function partOf(file: string): string {
  const [first = "", second] = relative(SRC, file).split(sep);
  return second === undefined ? first.replace(/\.ts$/, "") : first;
}

test("every folder has one entry module", () => {
  expect.hasAssertions();
  for (const folder of FOLDERS) expect(statSync(join(SRC, folder, "index.ts")).isFile()).toBe(true);
});

test("imports inside the package run one way, across folders only through their entry", () => {
  const wrong: string[] = [];
  for (const file of tsFiles(SRC)) {
    const from = partOf(file);
    for (const specifier of importsOf(file).filter((spec) => spec.startsWith("."))) {
      const target = resolve(dirname(file), specifier);
      const where = `${relative(PACKAGE, file)} imports "${specifier}"`;
      if (relative(SRC, target).startsWith("..")) {
        wrong.push(`${where}: outside the package`);
        continue;
      }
      const to = partOf(`${target}.ts`) || partOf(join(target, "index.ts"));
      if (to === from) continue;
      if (!(ALLOWED[from] ?? []).includes(to)) wrong.push(`${where}: ${from} may not import ${to}`);
      else if (FOLDERS.includes(to) && target !== join(SRC, to))
        wrong.push(`${where}: import ${to}/ through its entry ("../${to}")`);
    }
  }
  expect(wrong).toEqual([]);
});

const ENTRIES = ["@meridian/local-stack", "@meridian/local-stack/templates"];

test("code outside the package imports only its entry points", () => {
  const outside = ["tools", "tests", "src"].flatMap((dir) => tsFiles(join(REPO, dir)));
  const wrong = outside.flatMap((file) =>
    importsOf(file)
      .filter(
        (spec) =>
          (spec.startsWith("@meridian/local-stack/") && !ENTRIES.includes(spec)) ||
          /packages\/local-stack/.test(spec) ||
          /tools\/local\//.test(spec),
      )
      .map((spec) => `${relative(REPO, file)} imports "${spec}"`),
  );
  expect(wrong).toEqual([]);
});
