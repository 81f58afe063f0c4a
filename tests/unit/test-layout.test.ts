import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "../../tools/lib/project";

// tests/unit mirrors the code: tests/unit/<area>/... tests src/<area>/..., and
// tests/unit/tools/... tests tools/..., so a module's tests are where its path says
// (a folder may also stand for one module: tests/unit/shared/observability/).
function directories(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isDirectory())
    .flatMap((path) => [path, ...directories(path)]);
}

test("every folder under tests/unit names a folder (or module) of src/ or tools/", () => {
  const unit = join(ROOT, "tests", "unit");
  const folders = directories(unit).map((path) => relative(unit, path));
  expect(folders.length).toBeGreaterThan(0);
  const unmirrored = folders.filter((folder) => {
    const code = folder === "tools" || folder.startsWith("tools/") ? folder : join("src", folder);
    return !existsSync(join(ROOT, code)) && !existsSync(join(ROOT, `${code}.ts`));
  });
  expect(unmirrored).toEqual([]);
});
