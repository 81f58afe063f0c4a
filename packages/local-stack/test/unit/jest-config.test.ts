import { spawnSync } from "node:child_process";
import { dirname, join, relative } from "node:path";

/** `npm test -w packages/local-stack` (the package's README): its own jest config, run from the package. */
test("the package's jest config is valid and finds the package's tests, and only those", () => {
  const packageDir = join(__dirname, "..", "..");
  const jest = join(dirname(require.resolve("jest")), "..", "bin", "jest.js");
  const listed = spawnSync(process.execPath, [jest, "--listTests"], { cwd: packageDir, encoding: "utf8" });
  expect(listed.stderr).toBe("");
  expect(listed.status).toBe(0);
  const files = listed.stdout
    .trim()
    .split("\n")
    .map((file) => relative(packageDir, file));
  expect(files).toContain(join("test", "unit", "jest-config.test.ts"));
  expect(files.filter((file) => !file.startsWith(join("test", "/")))).toEqual([]);
});
