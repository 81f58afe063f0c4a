import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  evaluatorWithNested,
  mergeGlobals,
  type ResourceModel,
  type TemplateEvaluator,
} from "@meridian/local-stack";
import { type AwsStub, startAwsStub } from "./bench-cold/aws-stub";
import { REFERENCES, type Scenario, scenarios, stubData, stubVariables } from "./bench-cold/scenarios";
import { helpHint, parseCli, runMain, UsageError } from "./lib/cli";
import { bundleFunction, type FunctionSpec, listFunctions } from "./lib/functions";
import { deployOrder, loadServices, ROOT, type Service } from "./lib/project";

const USAGE =
  "usage: npm run bench:cold -- [--runs 20] [--only LogicalId,...] [--instructions] [--without-source-maps]";

/**
 * `npm run bench:cold`: for every function, built exactly as its template's
 * BuildProperties build it, the time from spawning a fresh `node` to its
 * first invocation done, next to a bare handler making the same AWS calls
 * with the same SDK clients (tools/bench-cold/baselines, built with the same
 * options and run with the same environment). AWS is a local stub. Runs are
 * interleaved (function and baseline alternate, in a shuffled order per
 * round) so machine load falls on both alike; medians are printed.
 *
 * `--instructions` also counts instructions of one run each under valgrind
 * (callgrind): `perf stat` has no hardware counters on this machine.
 */

interface Subject {
  label: string;
  modulePath: string;
  exportName: string;
  environment: Record<string, string>;
  event: unknown;
  succeeded: (result: unknown) => boolean;
  bytes: number;
}

interface Pair {
  name: string;
  fn: Subject;
  baseline: Subject;
  baselineName: string;
}

// Lambda runs the module through its own bootstrap; this is the smallest
// stand-in: load, invoke once, report on fd 3, exit.
const RUNNER = `
const { readFileSync, writeSync } = require("node:fs");
const [modulePath, exportName, eventPath] = process.argv.slice(2);
const context = {
  functionName: "bench", functionVersion: "$LATEST", memoryLimitInMB: "512",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench",
  awsRequestId: "bench-request", logGroupName: "/aws/lambda/bench", logStreamName: "bench",
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 10000,
};
const report = (outcome) => { writeSync(3, JSON.stringify(outcome) + "\\n"); process.exit(0); };
Promise.resolve()
  .then(() => require(modulePath)[exportName](JSON.parse(readFileSync(eventPath, "utf8")), context))
  .then((result) => report({ ok: true, result }), (error) => report({ ok: false, error: String(error && error.stack || error) }));
`;

// Every resource is named `bench-<LogicalId>`, as the stub's data expects (tools/bench-cold/scenarios.ts).
const benchResources: ResourceModel = {
  ref: (logicalId) => `bench-${logicalId}`,
  getAtt: (logicalId, _resource, attribute) => `bench-${logicalId}.${attribute}`,
  isGenerated: () => true,
};

/**
 * The service's templates as the local stack evaluates them (conditions,
 * nested stacks' parameters from their parent), every parameter set from
 * REFERENCES (else `bench-<Name>`) and every resource named by benchResources.
 */
function benchEvaluator(service: Service) {
  const parameters = Object.fromEntries(
    Object.keys(service.template.Parameters ?? {}).map((name) => [name, REFERENCES[name] ?? `bench-${name}`]),
  );
  return evaluatorWithNested({
    template: service.template,
    stackName: "bench",
    region: "us-east-1",
    parameters,
    resources: benchResources,
    applications: service.applications,
    file: `src/${service.name}/template.yaml`,
  });
}

type Evaluated = ReturnType<typeof benchEvaluator>;

/** The evaluator of the stack that declares `logicalId`: the service's own, or a nested one. */
function declaringStack({ evaluator, nested }: Evaluated, logicalId: string): TemplateEvaluator | undefined {
  if (evaluator.template.Resources[logicalId]) return evaluator;
  for (const stack of nested()) {
    const found = declaringStack(stack, logicalId);
    if (found) return found;
  }
  return undefined;
}

/** The function's variables as its template sets them (its template's Globals first), plus what Lambda itself sets. */
export function benchEnvironment(
  service: Service,
  spec: FunctionSpec,
  stubUrl: string,
): Record<string, string> {
  type WithVariables = { Environment?: { Variables?: Record<string, unknown> } };
  const stack = declaringStack(benchEvaluator(service), spec.logicalId);
  if (!stack) throw new Error(`${service.name}/${spec.logicalId}: not declared in its templates`);
  const globals = (stack.template as { Globals?: { Function?: WithVariables } }).Globals?.Function;
  const own = (spec.resource.Properties as WithVariables | undefined)?.Environment?.Variables;
  const declared = mergeGlobals(globals?.Environment?.Variables, own) ?? {};
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(declared as Record<string, unknown>)) {
    variables[name] = stack.evaluateString(value, `${service.name}/${spec.logicalId}: ${name}`);
  }
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    // Where Lambda's runtime provides the SDK the bundles leave external (/var/runtime/node_modules there).
    NODE_PATH: join(ROOT, "node_modules"),
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDBENCHMARK",
    AWS_SECRET_ACCESS_KEY: "bench-secret-access-key",
    AWS_SESSION_TOKEN: "bench-session-token",
    AWS_LAMBDA_FUNCTION_NAME: spec.logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    AWS_ENDPOINT_URL: stubUrl,
    ...variables,
    ...(variables.CATALOG_API_URL === undefined && variables.LOCATION_API_URL === undefined
      ? {}
      : Object.fromEntries(
          Object.entries(stubVariables(stubUrl)).filter(([name]) => variables[name] !== undefined),
        )),
  };
}

async function prepare(workDir: string, stub: AwsStub, only: Set<string> | undefined): Promise<Pair[]> {
  const byId = await scenarios();
  const pairs: Pair[] = [];
  for (const service of deployOrder(loadServices())) {
    for (const spec of listFunctions(service)) {
      const name = `${service.name}/${spec.logicalId}`;
      if (only && !only.has(spec.logicalId) && !only.has(name)) continue;
      const scenario: Scenario | undefined = byId[spec.logicalId];
      if (!scenario) throw new Error(`${name}: no scenario in tools/bench-cold/scenarios.ts`);
      const dir = join(workDir, service.name, spec.logicalId);
      const built = await bundleFunction(spec, join(dir, "function"));
      // The baseline gets the function's own build options, so only the code differs.
      const baselineSpec = { ...spec, moduleName: "baseline", exportName: "handler" };
      baselineSpec.entryPoint = join(ROOT, "tools", "bench-cold", "baselines", `${scenario.baseline}.ts`);
      const baseline = await bundleFunction(baselineSpec, join(dir, "baseline"));
      const environment = benchEnvironment(service, spec, stub.url);
      const event = scenario.event(stub.url, environment);
      pairs.push({
        name,
        baselineName: scenario.baseline,
        fn: {
          label: name,
          modulePath: built.outFile,
          exportName: spec.exportName,
          environment,
          event,
          succeeded: scenario.succeeded,
          bytes: built.bytes,
        },
        baseline: {
          label: `baseline ${scenario.baseline}`,
          modulePath: baseline.outFile,
          exportName: "handler",
          environment: { ...environment, BASELINE_TABLE: "bench-table" },
          event,
          succeeded: () => true,
          bytes: baseline.bytes,
        },
      });
    }
  }
  return pairs;
}

interface RunResult {
  ms: number;
  instructions?: number;
}

// Under valgrind a function runs some 50 times slower; its own deadlines must not fire.
const VALGRIND_TIMEOUTS = { CATALOG_TIMEOUT_MS: "600000", LOCATION_TIMEOUT_MS: "600000" };

function runOnce(subject: Subject, workDir: string, instructions = false): Promise<RunResult> {
  const eventPath = join(workDir, "event.json");
  writeFileSync(eventPath, JSON.stringify(subject.event));
  const runner = join(workDir, "runner.cjs");
  const nodeArgs = [runner, subject.modulePath, subject.exportName, eventPath];
  const [command, args] = instructions
    ? ["valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let doneAt: number | undefined;
    let report = "";
    let output = "";
    const child = spawn(command as string, args as string[], {
      env: instructions ? { ...subject.environment, ...VALGRIND_TIMEOUTS } : subject.environment,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child.stdio[3]?.on("data", (chunk: Buffer) => {
      doneAt ??= performance.now();
      report += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", () => {
      const outcome =
        report === "" ? undefined : (JSON.parse(report) as { ok: boolean; result?: unknown; error?: string });
      if (doneAt === undefined || !outcome?.ok || !subject.succeeded(outcome.result)) {
        reject(
          new Error(
            `${subject.label}: the invocation did not succeed: ${outcome?.error ?? JSON.stringify(outcome?.result)}\n${output}`,
          ),
        );
        return;
      }
      const counted = /Collected : (\d+)/.exec(output)?.[1];
      resolve({ ms: doneAt - started, ...(counted === undefined ? {} : { instructions: Number(counted) }) });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** A small seeded shuffle, so two invocations of the benchmark interleave alike. */
function shuffled<T>(items: T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

async function measure(
  pairs: Pair[],
  workDir: string,
  runs: number,
): Promise<Map<string, { fn: number[]; baseline: number[] }>> {
  const times = new Map(pairs.map((pair) => [pair.name, { fn: [] as number[], baseline: [] as number[] }]));
  // Round 0 warms the file cache and is not counted.
  for (let round = 0; round <= runs; round++) {
    for (const [index, pair] of shuffled(pairs, round + 1).entries()) {
      const fnFirst = (round + index) % 2 === 0;
      const order: Array<[Subject, "fn" | "baseline"]> = fnFirst
        ? [
            [pair.fn, "fn"],
            [pair.baseline, "baseline"],
          ]
        : [
            [pair.baseline, "baseline"],
            [pair.fn, "fn"],
          ];
      for (const [subject, kind] of order) {
        const run = await runOnce(subject, workDir);
        if (round > 0) times.get(pair.name)?.[kind].push(run.ms);
      }
    }
    process.stderr.write(round === 0 ? "warm-up done; runs:" : ` ${round}`);
  }
  process.stderr.write("\n");
  return times;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;

function printTimes(
  pairs: Pair[],
  times: Map<string, { fn: number[]; baseline: number[] }>,
  runs: number,
  powertoolsOnly: number,
): void {
  console.log(
    `cold start to first invocation done, median of ${runs} interleaved runs (node ${process.version})`,
  );
  console.log(
    `${"function".padEnd(36)} ${"bundle".padStart(10)} ${"function".padStart(8)} ${"baseline".padStart(8)} ${"ratio".padStart(6)}  baseline`,
  );
  for (const pair of pairs) {
    const t = times.get(pair.name) ?? { fn: [], baseline: [] };
    const fn = median(t.fn);
    const baseline = median(t.baseline);
    const verdict = fn / baseline <= 1.3 ? "" : "  over 1.3x";
    console.log(
      `${pair.name.padEnd(36)} ${kib(pair.fn.bytes).padStart(10)} ${ms(fn).padStart(8)} ${ms(baseline).padStart(8)} ${`${(fn / baseline).toFixed(2)}x`.padStart(6)}  ${pair.baselineName}${verdict}`,
    );
  }
  console.log(
    `${"(Powertools logger + metrics only)".padEnd(36)} ${"".padStart(10)} ${ms(powertoolsOnly).padStart(8)}`,
  );
}

/** One run each under callgrind: instructions do not depend on how loaded the machine is. */
async function printInstructions(pairs: Pair[], workDir: string): Promise<void> {
  console.log(
    "\ninstructions, one run each under valgrind --tool=callgrind (perf stat has no hardware counters here)",
  );
  for (const pair of pairs) {
    const fn = (await runOnce(pair.fn, workDir, true)).instructions ?? Number.NaN;
    const baseline = (await runOnce(pair.baseline, workDir, true)).instructions ?? Number.NaN;
    console.log(
      `${pair.name.padEnd(36)} ${`${(fn / 1e6).toFixed(0)}M`.padStart(8)} ${`${(baseline / 1e6).toFixed(0)}M`.padStart(8)} ${`${(fn / baseline).toFixed(2)}x`.padStart(6)}  ${pair.baselineName}`,
    );
  }
}

export async function main(): Promise<void> {
  const { values } = parseCli(
    {
      options: {
        runs: { type: "string", default: "20" },
        only: { type: "string" },
        instructions: { type: "boolean", default: false },
        "without-source-maps": { type: "boolean", default: false },
      },
    },
    USAGE,
  );
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new UsageError(`--runs must be a positive integer, got '${values.runs}'; ${helpHint(USAGE)}`);
  const only = values.only === undefined ? undefined : new Set(values.only.split(","));
  const workDir = mkdtempSync(join(tmpdir(), "meridian-bench-cold-"));
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, "runner.cjs"), RUNNER);
  const stub = await startAwsStub(await stubData());
  try {
    const pairs = await prepare(workDir, stub, only);
    // What --enable-source-maps costs: the same bundles (maps and all), the flag left out.
    if (values["without-source-maps"]) {
      for (const subject of pairs.flatMap((pair) => [pair.fn, pair.baseline])) {
        subject.environment.NODE_OPTIONS = (subject.environment.NODE_OPTIONS ?? "")
          .replace("--enable-source-maps", "")
          .trim();
      }
    }
    const reference = pairs[0] && {
      ...pairs[0].baseline,
      label: "baseline powertools-only",
      modulePath: (
        await bundleFunction(
          {
            ...listFunctions(loadServices()[0] as Service)[0],
            moduleName: "baseline",
            entryPoint: join(ROOT, "tools", "bench-cold", "baselines", "powertools-only.ts"),
          } as FunctionSpec,
          join(workDir, "powertools-only"),
        )
      ).outFile,
    };
    const times = await measure(pairs, workDir, runs);
    const powertools: number[] = [];
    if (reference) for (let i = 0; i < runs; i++) powertools.push((await runOnce(reference, workDir)).ms);
    printTimes(pairs, times, runs, median(powertools));
    if (values.instructions) await printInstructions(pairs, workDir);
  } finally {
    await stub.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) runMain(main);
