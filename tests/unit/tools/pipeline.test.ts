import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildspecCommands,
  collectArtifact,
  globToRegExp,
  parseBuildspec,
  pipelineActions,
  pipInstallPackages,
} from "../../../tools/pipeline";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "meridian-rehearsal-"));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string): string {
  const full = join(dir, path);
  mkdirSync(join(full, ".."), { recursive: true });
  writeFileSync(full, text);
  return full;
}

describe("parseBuildspec", () => {
  test("reads phases in CodeBuild's order, variables, runtime versions and artifacts", () => {
    const path = write(
      "buildspec.yml",
      [
        "version: 0.2",
        "env:",
        "  variables: { CI: 'true', RETRIES: 3 }",
        "phases:",
        "  build:",
        "    commands: [npm run lint]",
        "  install:",
        "    runtime-versions: { nodejs: 22 }",
        "    commands: [npm ci]",
        "artifacts:",
        "  base-directory: dist/artifact",
        "  files: ['**/*']",
      ].join("\n"),
    );

    const spec = parseBuildspec(path);

    expect(spec.phases.map((phase) => phase.name)).toEqual(["install", "build"]);
    expect(buildspecCommands(spec)).toEqual(["npm ci", "npm run lint"]);
    expect(spec.variables).toEqual({ CI: "true", RETRIES: "3" });
    expect(spec.runtimeVersions).toEqual({ nodejs: "22" });
    expect(spec.artifacts).toEqual({ baseDirectory: "dist/artifact", files: ["**/*"] });
  });

  test("rejects another buildspec version and unknown phases", () => {
    expect(() => parseBuildspec(write("a.yml", "version: 0.1\nphases: {}\n"))).toThrow(/version: 0.2/);
    expect(() =>
      parseBuildspec(write("b.yml", "version: 0.2\nphases:\n  deploy:\n    commands: [x]\n")),
    ).toThrow(/unknown phase\(s\) deploy/);
  });
});

describe("artifact files", () => {
  test.each([
    ["**/*", "manifest.json", true],
    ["**/*", "packages/auth/Fn-1.zip", true],
    ["*.json", "manifest.json", true],
    ["*.json", "configs/dev/auth.json", false],
    ["configs/**/*.json", "configs/dev/auth.json", true],
    ["packages/?uth/*", "packages/auth/x.zip", true],
  ])("%s matches %s: %s", (pattern, path, matches) => {
    expect(globToRegExp(pattern).test(path)).toBe(matches);
  });

  test("are collected relative to base-directory", () => {
    write("dist/artifact/manifest.json", "{}");
    write("dist/artifact/packages/auth/Fn.zip", "zip");
    write("dist/other.txt", "not in the artifact");

    expect(collectArtifact(dir, { baseDirectory: "dist/artifact", files: ["**/*"] })).toEqual([
      "manifest.json",
      "packages/auth/Fn.zip",
    ]);
  });
});

test("pipeline.yaml's CodeBuild actions resolve to their buildspec files", () => {
  const builds = pipelineActions().filter((action) => action.provider === "CodeBuild");

  expect(builds.map((action) => [action.stage, action.buildspec])).toEqual([
    ["Test", "buildspecs/test.yml"],
    ["Bundle", "buildspecs/bundle.yml"],
    ["DeployDev", "buildspecs/acceptance.yml"],
    ["DeployStaging", "buildspecs/acceptance.yml"],
  ]);
});

test("a buildspec's `pip install` is recognised, so the rehearsal checks for the tool instead of installing it", () => {
  expect(pipInstallPackages("pip install --quiet cfn-lint")).toEqual(["cfn-lint"]);
  expect(pipInstallPackages("pip3 install -q cfn-lint yamllint")).toEqual(["cfn-lint", "yamllint"]);
  expect(pipInstallPackages("npm ci --no-audit")).toBeUndefined();
  expect(pipInstallPackages("pipx install cfn-lint")).toBeUndefined();
});
