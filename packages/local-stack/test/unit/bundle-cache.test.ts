import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { FunctionSpec } from "../../src/project";
import { type BuildResult, BundleCache, buildFunctions } from "../../src/runtime";

/**
 * The bundle cache stacks share: an unchanged function is linked, not bundled
 * again; any change to what it reads, or to how its imports resolve, bundles it anew.
 */

let root: string;
let builds = 0;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "bundle-cache-"));
  write(
    "src/handler.ts",
    'import { answer } from "./answer";\nimport { shape } from "./shape";\nexport const handler = () => [answer, shape].join("-");\n',
  );
  write("src/answer.ts", 'export const answer = "first";\n');
  write("src/shape/index.ts", 'export const shape = "directory";\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Written as if long ago: the cache does not store a build whose sources changed while it ran. */
function write(path: string, text: string): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  const past = new Date(Date.now() - 60_000);
  utimesSync(file, past, past);
}

const spec = (): FunctionSpec =>
  ({
    service: "svc",
    logicalId: "HandlerFunction",
    handler: "handler.handler",
    moduleName: "handler",
    exportName: "handler",
    entryPoint: join(root, "src", "handler.ts"),
    buildOptions: { bundle: true, platform: "node", format: "cjs", sourcemap: true },
    resource: { Type: "AWS::Serverless::Function" },
  }) as FunctionSpec;

async function bundle(): Promise<{ code: string; inode: number; map: boolean }> {
  const buildDir = join(root, "build", String(++builds));
  const [result] = await Promise.all(
    buildFunctions([spec()], buildDir, new BundleCache(join(root, "build", "cache"))).values(),
  );
  const built = result as BuildResult;
  if (!built.ok) throw new Error(built.error);
  return {
    code: readFileSync(built.modulePath, "utf8"),
    inode: statSync(built.modulePath).ino,
    map: statSync(`${built.modulePath}.map`).isFile(),
  };
}

test("an unchanged function is linked from the cache, source map included", async () => {
  const first = await bundle();
  const second = await bundle();
  expect(second.code).toBe(first.code);
  expect(second.inode).toBe(first.inode);
  expect(second.map).toBe(true);
  expect(second.code).toContain("first");
});

test("names added above the sources' shared directory (as in /tmp) leave the cache in use", async () => {
  const first = await bundle();
  write("notes.txt", "not an import\n");
  const second = await bundle();
  expect(second.inode).toBe(first.inode);
});

test("a tsconfig.json added above the sources is bundled again", async () => {
  const first = await bundle();
  write("tsconfig.json", "{}\n");
  const second = await bundle();
  expect(second.inode).not.toBe(first.inode);
});

test("a changed import is bundled again", async () => {
  const first = await bundle();
  write("src/answer.ts", 'export const answer = "second";\n');
  const second = await bundle();
  expect(second.inode).not.toBe(first.inode);
  expect(second.code).toContain("second");
  expect(second.code).not.toContain("first");
});

test("a file that changes what an import resolves to is bundled again", async () => {
  const first = await bundle();
  expect(first.code).toContain("directory");
  write("src/shape.ts", 'export const shape = "file";\n');
  const second = await bundle();
  expect(second.code).toContain("file");
  expect(second.code).not.toContain("directory");
});

test("a build whose sources changed while it ran is not stored", async () => {
  const first = await bundle();
  writeFileSync(join(root, "src", "answer.ts"), 'export const answer = "fresh";\n');
  const second = await bundle();
  const third = await bundle();
  expect(second.code).toContain("fresh");
  expect(third.code).toContain("fresh");
  expect(third.inode).not.toBe(second.inode);
  expect(first.inode).not.toBe(second.inode);
});
