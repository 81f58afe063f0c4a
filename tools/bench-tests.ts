import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseCli, progress, runMain, UsageError } from "./lib/cli";
import { ROOT } from "./lib/project";

const USAGE = `Usage: npm run bench:tests -- --baseline <checkout> [--runs 2]

The whole jest suite (\`npm test\`'s jest, --silent) in a baseline checkout that
has its own node_modules (e.g. \`git worktree add /tmp/base <commit>\` and
\`npm ci\` there) and in this one, alternately, --runs times each, so load from
anything else falls on both alike. Prints each run's wall time, test count and
load average, then the medians and their ratio (current / baseline).`;

interface Run {
  label: "baseline" | "current";
  wallSeconds: number;
  tests: number;
  passed: number;
  /** 1-minute load average just before and just after the run. */
  load: [number, number];
}

interface JestSummary {
  numTotalTests: number;
  numPassedTests: number;
}

// The suite runs as from a shell, not as a child of whatever jest or npm started this.
function suiteEnv(): NodeJS.ProcessEnv {
  const { JEST_WORKER_ID: _worker, npm_lifecycle_event: _event, ...env } = process.env;
  return { ...env, FORCE_COLOR: "0", CI: env.CI ?? "" };
}

function runSuite(label: Run["label"], checkout: string): Promise<Run> {
  const out = mkdtempSync(join(tmpdir(), "meridian-bench-tests-"));
  const results = join(out, "results.json");
  const jest = join(checkout, "node_modules", "jest", "bin", "jest.js");
  const before = loadavg()[0] ?? 0;
  const startedAt = process.hrtime.bigint();
  return new Promise<Run>((done, fail) => {
    const child = spawn(process.execPath, [jest, "--silent", "--json", `--outputFile=${results}`], {
      cwd: checkout,
      env: suiteEnv(),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on("error", fail);
    child.on("close", (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      try {
        if (!existsSync(results))
          throw new Error(`${label}: jest exited ${code} with no results:\n${stderr}`);
        const summary = JSON.parse(readFileSync(results, "utf8")) as JestSummary;
        const load: [number, number] = [before, loadavg()[0] ?? 0];
        done({ label, wallSeconds, tests: summary.numTotalTests, passed: summary.numPassedTests, load });
      } catch (error) {
        fail(error);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function row(cells: Array<string | number>): string {
  const widths = [4, 9, 8, 6, 7, 12];
  return cells.map((cell, index) => String(cell).padStart(widths[index] ?? 8)).join("  ");
}

function report(runs: Run[]): string[] {
  const lines = [row(["run", "checkout", "wall s", "tests", "passed", "load 1m"])];
  runs.forEach((run, index) => {
    const load = `${run.load[0].toFixed(2)}->${run.load[1].toFixed(2)}`;
    lines.push(
      row([Math.floor(index / 2) + 1, run.label, run.wallSeconds.toFixed(1), run.tests, run.passed, load]),
    );
  });
  const of = (label: Run["label"]) =>
    median(runs.filter((run) => run.label === label).map((run) => run.wallSeconds));
  const [baseline, current] = [of("baseline"), of("current")];
  lines.push(
    "",
    `median wall: baseline ${baseline.toFixed(1)} s, current ${current.toFixed(1)} s; current/baseline = ${(current / baseline).toFixed(2)}`,
  );
  return lines;
}

export async function main(): Promise<number> {
  const { values } = parseCli(
    {
      options: {
        baseline: { type: "string" },
        runs: { type: "string", default: "2" },
        help: { type: "boolean", short: "h", default: false },
      },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.baseline)
    throw new UsageError("--baseline <checkout> is required (a checkout with node_modules)");
  const baseline = resolve(values.baseline);
  if (!existsSync(join(baseline, "node_modules", "jest"))) {
    throw new UsageError(`${values.baseline} has no node_modules/jest: run npm ci there first`);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new UsageError(`--runs takes a positive integer, got '${values.runs}'`);
  const results: Run[] = [];
  for (let round = 1; round <= runs; round++) {
    for (const [label, checkout] of [
      ["baseline", baseline],
      ["current", ROOT],
    ] as const) {
      progress(`round ${round}/${runs}: jest in ${checkout} (${label})`);
      const run = await runSuite(label, checkout);
      progress(`${label}: ${run.wallSeconds.toFixed(1)} s, ${run.passed}/${run.tests} passed`);
      results.push(run);
    }
  }
  process.stdout.write(`${report(results).join("\n")}\n`);
  return results.every((run) => run.passed === run.tests) ? 0 : 1;
}

if (require.main === module) runMain(main);
