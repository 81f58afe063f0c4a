/**
 * npm run pipeline [-- --skip-test] [--skip-acceptance] [--keep] [--reuse-node-modules]
 *
 * A local rehearsal of pipeline.yaml's build stages and acceptance actions
 * (those against a local stack, since the rehearsal deploys nothing). The stages, their order
 * and their buildspecs are read from pipeline.yaml, and each buildspec's
 * commands run as CodeBuild would run them: in a fresh copy of the source
 * (what `git ls-files` sees, uncommitted changes included, like a push of
 * this working tree), with the buildspec's env variables. It ends with the
 * artifact the Deploy stages would get, zipped as CodeBuild zips it.
 *
 * Differences from CodeBuild, on purpose: `runtime-versions` is not
 * installed (the local node runs), each command runs in its own bash, and a
 * failing command stops the rehearsal (no post_build "finally").
 * --reuse-node-modules trades fidelity for speed (or for a machine without
 * registry access): `npm ci` is replaced by a link to this checkout's
 * node_modules, so the lock file is not checked.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { parse } from "yaml";
import { loadTemplate } from "./lib/cfn-yaml";
import { parseCli, runMain, seconds, UsageError } from "./lib/cli";
import { displayPath, ROOT } from "./lib/project";
import { createZip } from "./lib/zip";

const USAGE = "usage: npm run pipeline [-- --skip-test] [--skip-acceptance] [--keep] [--reuse-node-modules]";
export const PIPELINE_TEMPLATE = join(ROOT, "pipeline.yaml");
const WORK_DIR = join(ROOT, ".local", "pipeline");
/** CodeBuild runs these phases in this order. */
export const PHASES = ["install", "pre_build", "build", "post_build"] as const;

export interface Buildspec {
  file: string;
  variables: Record<string, string>;
  runtimeVersions: Record<string, string>;
  phases: Array<{ name: (typeof PHASES)[number]; commands: string[] }>;
  artifacts?: { baseDirectory: string; files: string[] };
}

interface RawBuildspec {
  version?: unknown;
  env?: { variables?: Record<string, unknown> };
  phases?: Record<string, { commands?: unknown; "runtime-versions"?: Record<string, unknown> } | undefined>;
  artifacts?: { "base-directory"?: unknown; files?: unknown };
}

export function parseBuildspec(path: string): Buildspec {
  const file = displayPath(path);
  const raw = parse(readFileSync(path, "utf8")) as RawBuildspec | null;
  if (!raw || String(raw.version) !== "0.2")
    throw new Error(`${file}: expected a buildspec with version: 0.2`);
  const unknownPhases = Object.keys(raw.phases ?? {}).filter(
    (name) => !(PHASES as readonly string[]).includes(name),
  );
  if (unknownPhases.length > 0) throw new Error(`${file}: unknown phase(s) ${unknownPhases.join(", ")}`);
  const phases = PHASES.flatMap((name) => {
    const commands = raw.phases?.[name]?.commands;
    if (commands === undefined) return [];
    if (!Array.isArray(commands) || commands.some((command) => typeof command !== "string")) {
      throw new Error(`${file}: phases.${name}.commands must be a list of strings`);
    }
    return [{ name, commands: commands as string[] }];
  });
  const runtimeVersions = Object.fromEntries(
    Object.entries(raw.phases?.install?.["runtime-versions"] ?? {}).map(([name, version]) => [
      name,
      String(version),
    ]),
  );
  const variables = Object.fromEntries(
    Object.entries(raw.env?.variables ?? {}).map(([name, value]) => [name, String(value)]),
  );
  const artifactFiles = raw.artifacts?.files;
  const artifacts =
    raw.artifacts === undefined
      ? undefined
      : {
          baseDirectory: String(raw.artifacts["base-directory"] ?? "."),
          files: Array.isArray(artifactFiles) ? artifactFiles.map(String) : [],
        };
  return { file, variables, runtimeVersions, phases, ...(artifacts ? { artifacts } : {}) };
}

export function buildspecCommands(spec: Buildspec): string[] {
  return spec.phases.flatMap((phase) => phase.commands);
}

export interface PipelineAction {
  stage: string;
  name: string;
  /** CodePipeline's RunOrder within the stage (default 1): a higher one starts after the lower ones succeed. */
  runOrder: number;
  category: string;
  provider: string;
  configuration: Record<string, unknown>;
  inputs: string[];
  outputs: string[];
  /** For CodeBuild actions: the project's buildspec path. */
  buildspec?: string;
  /** For CodeBuild actions: the project's environment variables (they override the buildspec's). */
  variables: Record<string, string>;
}

interface RawProject {
  Source?: { BuildSpec?: string };
  Environment?: { EnvironmentVariables?: Array<{ Name?: string; Value?: unknown }> };
}

/** A CodeBuild action that tests a deployed environment (its project names it), rather than the source. */
export function isAcceptance(action: PipelineAction): boolean {
  return action.provider === "CodeBuild" && ACCEPTANCE_VARIABLE in action.variables;
}

/** The acceptance projects' variable naming the environment that buildspecs/acceptance.yml tests. */
export const ACCEPTANCE_VARIABLE = "MERIDIAN_ENVIRONMENT";

interface RawAction {
  Name?: string;
  RunOrder?: number;
  ActionTypeId?: { Category?: string; Provider?: string };
  Configuration?: Record<string, unknown>;
  InputArtifacts?: Array<{ Name?: string }>;
  OutputArtifacts?: Array<{ Name?: string }>;
}

/** Every action of pipeline.yaml's pipeline, stage by stage, with CodeBuild projects resolved to their buildspec. */
export function pipelineActions(path = PIPELINE_TEMPLATE): PipelineAction[] {
  const template = loadTemplate(path);
  const pipeline = Object.values(template.Resources).find(
    (resource) => resource.Type === "AWS::CodePipeline::Pipeline",
  );
  const stages = (pipeline?.Properties?.Stages ?? []) as Array<{ Name?: string; Actions?: RawAction[] }>;
  if (stages.length === 0)
    throw new Error(`${displayPath(path)}: no AWS::CodePipeline::Pipeline with Stages`);
  return stages.flatMap((stage) =>
    // CodePipeline runs a stage's actions by RunOrder (default 1); sort is stable for ties.
    [...(stage.Actions ?? [])]
      .sort((a, b) => (a.RunOrder ?? 1) - (b.RunOrder ?? 1))
      .map((action): PipelineAction => {
        const configuration = action.Configuration ?? {};
        const project = (configuration.ProjectName as { Ref?: string } | undefined)?.Ref;
        const properties = project
          ? (template.Resources[project]?.Properties as RawProject | undefined)
          : undefined;
        const source = properties?.Source;
        const variables = Object.fromEntries(
          (properties?.Environment?.EnvironmentVariables ?? []).map(({ Name, Value }) => [
            Name ?? "",
            String(Value ?? ""),
          ]),
        );
        return {
          stage: stage.Name ?? "",
          name: action.Name ?? "",
          runOrder: action.RunOrder ?? 1,
          category: action.ActionTypeId?.Category ?? "",
          provider: action.ActionTypeId?.Provider ?? "",
          configuration,
          inputs: (action.InputArtifacts ?? []).map((artifact) => artifact.Name ?? ""),
          outputs: (action.OutputArtifacts ?? []).map((artifact) => artifact.Name ?? ""),
          ...(source?.BuildSpec ? { buildspec: source.BuildSpec } : {}),
          variables,
        };
      }),
  );
}

/** CodeBuild's artifact `files` patterns: `**` crosses directories, `*` and `?` do not. */
export function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? "";
    if (char === "*" && pattern[i + 1] === "*") {
      const slash = pattern[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (char === "*") out += "[^/]*";
    else if (char === "?") out += "[^/]";
    else out += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? listFiles(path, base) : [relative(base, path).split("\\").join("/")];
    })
    .sort();
}

export function collectArtifact(workDir: string, artifacts: NonNullable<Buildspec["artifacts"]>): string[] {
  const patterns = artifacts.files.map(globToRegExp);
  return listFiles(join(workDir, artifacts.baseDirectory)).filter((path) =>
    patterns.some((re) => re.test(path)),
  );
}

function git(args: string[]): string | undefined {
  const result = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  return result.status === 0 ? result.stdout : undefined;
}

/** The Source stage: the files a push of this working tree would carry. */
function snapshotSource(target: string): number {
  const listed = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  if (listed === undefined) throw new Error("git ls-files failed: the rehearsal needs a git checkout");
  const files = [...new Set(listed.split("\0").filter(Boolean))].filter((file) =>
    existsSync(join(ROOT, file)),
  );
  rmSync(target, { recursive: true, force: true });
  for (const file of files) {
    const to = join(target, file);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(join(ROOT, file), to);
  }
  return files.length;
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], { cwd, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

interface StageResult {
  workDir: string;
  spec: Buildspec;
}

const NPM_CI = /^npm (ci|clean-install|install-clean)\b/;

/** The packages a `pip install` command names (its flags left out), or undefined for any other command. */
export function pipInstallPackages(command: string): string[] | undefined {
  const words = command.trim().split(/\s+/);
  if (!/^pip3?$/.test(words[0] ?? "") || words[1] !== "install") return undefined;
  return words.slice(2).filter((word) => !word.startsWith("-"));
}

function onPath(tool: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1"', "sh", tool], { stdio: "ignore" }).status === 0;
}

/**
 * CodeBuild's `pip install` runs in a throwaway container; on this machine it
 * would change the host's Python (as root, often), so the rehearsal never
 * runs it: the tool must already be here.
 */
function checkInstalledInstead(phase: string, packages: string[]): void {
  const missing = packages.filter((name) => !onPath(name));
  if (missing.length > 0) {
    throw new UsageError(
      `${missing.join(", ")} is not installed; the rehearsal does not pip install on this machine: install it yourself (\`pipx install ${missing.join(" ")}\` or \`pip install --user ${missing.join(" ")}\`), then run again`,
    );
  }
  console.log(`  [${phase}] (rehearsal) ${packages.join(", ")} already installed here; not installing`);
}

async function runBuildStage(
  action: PipelineAction,
  sourceDir: string,
  sourceVersion: string,
  reuseNodeModules: boolean,
  overrides: Record<string, string> = {},
): Promise<StageResult> {
  if (!action.buildspec) throw new Error(`${action.stage}: the CodeBuild project has no Source.BuildSpec`);
  const spec = parseBuildspec(join(ROOT, action.buildspec));
  const workDir = join(WORK_DIR, action.stage.toLowerCase());
  rmSync(workDir, { recursive: true, force: true });
  cpSync(sourceDir, workDir, { recursive: true });
  // CodeBuild's precedence: the build's overrides, then the project's variables, then the buildspec's.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...spec.variables,
    ...action.variables,
    ...overrides,
    CODEBUILD_SRC_DIR: workDir,
    CODEBUILD_RESOLVED_SOURCE_VERSION: sourceVersion,
    CODEBUILD_BUILD_ID: `local:${action.stage}`,
  };
  for (const [runtime, version] of Object.entries(spec.runtimeVersions)) {
    const local = runtime === "nodejs" ? process.versions.node : "?";
    const note = runtime === "nodejs" && local.split(".")[0] !== version.split(".")[0] ? " (differs)" : "";
    console.log(`  runtime ${runtime} ${version} in CodeBuild; local ${local}${note}`);
  }
  for (const phase of spec.phases) {
    for (const command of phase.commands) {
      console.log(`\n  [${phase.name}] $ ${command}`);
      const startedAt = process.hrtime.bigint();
      if (reuseNodeModules && NPM_CI.test(command)) {
        symlinkSync(join(ROOT, "node_modules"), join(workDir, "node_modules"), "dir");
        console.log(
          `  [${phase.name}] (--reuse-node-modules) linked ${displayPath(join(ROOT, "node_modules"))} instead`,
        );
        continue;
      }
      const pipPackages = pipInstallPackages(command);
      if (pipPackages) {
        checkInstalledInstead(phase.name, pipPackages);
        continue;
      }
      const code = await run(command, workDir, env);
      if (code !== 0) {
        throw new Error(
          `${action.stage} failed in ${phase.name}: \`${command}\` exited ${code} (${spec.file}, in ${displayPath(workDir)})`,
        );
      }
      console.log(`  [${phase.name}] ✓ ${seconds(startedAt)}`);
    }
  }
  return { workDir, spec };
}

function header(text: string): void {
  console.log(`\n== ${text} ${"=".repeat(Math.max(0, 70 - text.length))}`);
}

interface RehearsalOptions {
  skipTest: boolean;
  skipAcceptance: boolean;
  keep: boolean;
  reuseNodeModules: boolean;
}

interface Rehearsal {
  options: RehearsalOptions;
  sourceVersion: string;
  dirty: boolean;
  sourceDir: string;
  timings: Array<[string, string]>;
  artifacts: Map<string, { dir: string; files: string[] }>;
}

function parseOptions(): RehearsalOptions | undefined {
  const { values } = parseCli(
    {
      options: {
        "skip-test": { type: "boolean", default: false },
        "skip-acceptance": { type: "boolean", default: false },
        keep: { type: "boolean", default: false },
        "reuse-node-modules": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    },
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  return {
    skipTest: values["skip-test"],
    skipAcceptance: values["skip-acceptance"],
    keep: values.keep,
    reuseNodeModules: values["reuse-node-modules"],
  };
}

/** The rehearsal runs a stage's CodeBuild action alone: two in one stage would need CodeBuild's parallelism. */
function checkOneBuildPerStage(actions: PipelineAction[]): void {
  const stages = actions.filter((action) => action.provider === "CodeBuild").map((action) => action.stage);
  const twice = stages.find((stage, index) => stages.indexOf(stage) !== index);
  if (twice) throw new Error(`${twice}: more than one CodeBuild action per stage is not rehearsed`);
}

function label(action: PipelineAction): string {
  return action.name === action.stage ? action.stage : `${action.stage}/${action.name}`;
}

function rehearseSource(rehearsal: Rehearsal, action: PipelineAction): void {
  const { sourceVersion, dirty, sourceDir } = rehearsal;
  header(
    `${action.stage}: working tree at ${sourceVersion.slice(0, 12)}${dirty ? " + uncommitted changes" : ""}`,
  );
  const count = snapshotSource(sourceDir);
  console.log(`  ${count} files -> ${displayPath(sourceDir)}`);
  for (const output of action.outputs) rehearsal.artifacts.set(output, { dir: sourceDir, files: [] });
}

/** Why a CodeBuild action is left out of this rehearsal, if it is. */
function skipReason({ options }: Rehearsal, action: PipelineAction): string | undefined {
  if (isAcceptance(action)) return options.skipAcceptance ? "--skip-acceptance" : undefined;
  return action.category === "Test" && options.skipTest ? "--skip-test" : undefined;
}

/**
 * A CodeBuild action from its buildspec. An acceptance action tests the
 * environment its deploy just updated; the rehearsal deploys nothing, so it
 * runs the same journey against a local stack instead (--env local).
 */
async function rehearseBuild(rehearsal: Rehearsal, action: PipelineAction): Promise<void> {
  const acceptance = isAcceptance(action);
  const against = acceptance
    ? ` against local, not ${action.variables[ACCEPTANCE_VARIABLE]} (deploys need AWS)`
    : "";
  header(`${label(action)}: ${action.buildspec ?? "?"}${against}`);
  const overrides: Record<string, string> = acceptance ? { [ACCEPTANCE_VARIABLE]: "local" } : {};
  const { sourceDir, sourceVersion, options } = rehearsal;
  const { workDir, spec } = await runBuildStage(
    action,
    sourceDir,
    sourceVersion,
    options.reuseNodeModules,
    overrides,
  );
  for (const output of action.outputs) {
    if (!spec.artifacts) throw new Error(`${spec.file}: the ${output} output needs an artifacts section`);
    const dir = join(workDir, spec.artifacts.baseDirectory);
    rehearsal.artifacts.set(output, { dir, files: collectArtifact(workDir, spec.artifacts) });
  }
  if (!options.keep && action.outputs.length === 0) rmSync(workDir, { recursive: true, force: true });
}

async function rehearseAction(rehearsal: Rehearsal, action: PipelineAction): Promise<void> {
  const startedAt = process.hrtime.bigint();
  if (action.category === "Source") {
    rehearseSource(rehearsal, action);
  } else if (action.provider !== "CodeBuild") {
    // Deploy, preview and approval actions need AWS; the rehearsal shows what they would receive.
    return;
  } else {
    const skipped = skipReason(rehearsal, action);
    if (skipped) {
      header(`${label(action)}: skipped (${skipped})`);
      rehearsal.timings.push([label(action), "skipped"]);
      return;
    }
    await rehearseBuild(rehearsal, action);
  }
  rehearsal.timings.push([label(action), seconds(startedAt)]);
}

function printArtifact(name: string, artifact: { dir: string; files: string[] }): void {
  const zip = createZip(
    artifact.files.map((file) => ({ name: file, data: readFileSync(join(artifact.dir, file)) })),
  );
  const zipPath = join(WORK_DIR, "artifacts", `${name}.zip`);
  mkdirSync(dirname(zipPath), { recursive: true });
  writeFileSync(zipPath, zip);
  let total = 0;
  for (const file of artifact.files) {
    const bytes = statSync(join(artifact.dir, file)).size;
    total += bytes;
    console.log(`  ${kib(bytes).padStart(11)}  ${file}`);
  }
  console.log(
    `  ${artifact.files.length} files, ${kib(total)}; zipped: ${displayPath(zipPath)} (${kib(zip.length)})`,
  );
  console.log(`  unzipped: ${displayPath(artifact.dir)}`);
}

function printDeployInputs(rehearsal: Rehearsal, actions: PipelineAction[]): void {
  header("Artifact for the deploy stages");
  const deploys = actions.filter(
    (action) => action.stage && !["Source", "Build", "Test"].includes(action.category),
  );
  for (const name of new Set(deploys.flatMap((action) => action.inputs))) {
    const artifact = rehearsal.artifacts.get(name);
    if (!artifact) throw new Error(`artifact ${name} was not produced (a skipped stage?)`);
    printArtifact(name, artifact);
  }
  console.log("\n  then, in order (acceptance rehearsed above against a local stack):");
  for (const action of actions.filter(
    (candidate) => deploys.includes(candidate) || isAcceptance(candidate),
  )) {
    const parameters = action.configuration.UserParameters;
    const detail = isAcceptance(action)
      ? ` ${action.buildspec} ${ACCEPTANCE_VARIABLE}=${action.variables[ACCEPTANCE_VARIABLE]}`
      : typeof parameters === "string"
        ? ` ${parameters}`
        : "";
    console.log(`  ${label(action).padEnd(24)} ${action.provider}${detail}`);
  }
}

export async function main(): Promise<void> {
  const options = parseOptions();
  if (!options) return;
  const startedAt = process.hrtime.bigint();
  const actions = pipelineActions();
  checkOneBuildPerStage(actions);
  const rehearsal: Rehearsal = {
    options,
    sourceVersion: git(["rev-parse", "HEAD"])?.trim() ?? "local",
    dirty: (git(["status", "--porcelain"]) ?? "").trim() !== "",
    sourceDir: join(WORK_DIR, "source"),
    timings: [],
    artifacts: new Map(),
  };
  for (const action of actions) await rehearseAction(rehearsal, action);
  printDeployInputs(rehearsal, actions);
  header("Timings");
  for (const [stage, time] of rehearsal.timings) console.log(`  ${stage.padEnd(24)} ${time}`);
  console.log(`  ${"total".padEnd(24)} ${seconds(startedAt)}`);
}

if (require.main === module) runMain(main);
