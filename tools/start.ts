import { relative, resolve } from "node:path";
import {
  DEFAULT_SCHEDULE_EVERY_MS,
  type LocalStack,
  parseScheduleEvery,
  type ScheduleEvery,
  startLocalStack,
} from "@meridian/local-stack";
import { parseCli, runMain, UsageError } from "./lib/cli";
import { meridianProject } from "./lib/local-project";
import { LOG_OPTIONS, LOG_USAGE, logSettings } from "./lib/log-options";
import { ROOT } from "./lib/project";
import { removeStackState, stateFilesFor, writeStackState } from "./lib/stack-state";

const USAGE = `Usage: npm start [-- options]

Runs Meridian on this machine: DynamoDB, SSM, Secrets Manager, Lambda and API Gateway endpoints,
every function, and an HTTP gateway with every API route from the templates.

Options:
  --reset                 wipe the local data (tables, parameters, secrets) first
  --port <n>              gateway port (default 3000)
  --dynamodb-port <n>     DynamoDB port (default 8000)
  --aws-port <n>          SSM / Secrets Manager / Lambda / API Gateway port (default 4566)
  --data-dir <dir>        where data is kept (default .local/data)
  --env <name>            environment of environments.yaml (default local)
  --services <a,b>        only these services and their dependencies
  --schedule-every <d>    how often rate(...) schedules (the catalog registrars) run:
                          10s, 500ms, 2m, 1h, or 'template' for the templates' own
                          rates (default 10s; the first runs start ~1 s after start,
                          one after another)
${LOG_USAGE}
  -h, --help              this text`;

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535) {
    throw new UsageError(`${flag} takes a port number (0-65535), got '${value}'`);
  }
  return number;
}

export async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { values } = parseCli(
    {
      options: {
        reset: { type: "boolean", default: false },
        port: { type: "string" },
        "dynamodb-port": { type: "string" },
        "aws-port": { type: "string" },
        "data-dir": { type: "string" },
        env: { type: "string", default: "local" },
        services: { type: "string" },
        "schedule-every": { type: "string" },
        ...LOG_OPTIONS,
        help: { type: "boolean", short: "h", default: false },
      },
    },
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const { logs, logLevel } = logSettings(values);

  const scheduleEvery: ScheduleEvery =
    values["schedule-every"] === undefined
      ? DEFAULT_SCHEDULE_EVERY_MS
      : parseScheduleEvery(values["schedule-every"]);

  const started = performance.now();
  const stack: LocalStack = await startLocalStack({
    project: meridianProject,
    reset: values.reset,
    gatewayPort: port(values.port, "--port", 3000),
    dynamodbPort: port(values["dynamodb-port"], "--dynamodb-port", 8000),
    awsPort: port(values["aws-port"], "--aws-port", 4566),
    ...(values["data-dir"] ? { dataDir: resolve(values["data-dir"]) } : {}),
    environment: values.env,
    logs,
    logLevel,
    scheduleEveryMs: scheduleEvery,
    ...(values.services ? { services: values.services.split(",").map((name) => name.trim()) } : {}),
  });
  const stateFiles = stateFilesFor(values["data-dir"]);
  writeStackState(stack, stateFiles);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  // Ctrl+C is handled before the banner says it may be pressed: a signal that
  // arrived in between would end the process without a clean stop.
  const stopped = untilStopped(stack, stateFiles);
  console.log(bannerLines(stack, stateFiles, { seconds, reset: values.reset, scheduleEvery }).join("\n"));
  await stopped;
  console.log("Stopped.");
  return 0;
}

function bannerLines(
  stack: LocalStack,
  stateFiles: ReturnType<typeof stateFilesFor>,
  { seconds, reset, scheduleEvery }: { seconds: string; reset: boolean; scheduleEvery: ScheduleEvery },
): string[] {
  const awsLabel = "SSM, Secrets Manager, Lambda, API Gateway";
  const width = Math.max(...Object.keys(stack.endpoints).map((name) => name.length), "schedules".length);
  return [
    "",
    `Meridian local stack (environment ${stack.environment}) ready in ${seconds} s`,
    "",
    ...(stack.siteUrl
      ? [`  Open ${stack.siteUrl} (the public page; a profile is at ${stack.siteUrl}u/<userId>)`, ""]
      : []),
    ...Object.entries(stack.endpoints).map(([name, url]) => `  ${name.padEnd(width)}  ${url}`),
    "",
    `  ${"DynamoDB".padEnd(width)}  ${stack.dynamodbEndpoint}`,
    `  ${"AWS APIs".padEnd(width)}  ${stack.awsEndpoint} (${awsLabel})`,
    `  ${"data".padEnd(width)}  ${relative(ROOT, stack.dataDir) || stack.dataDir} (${reset ? "wiped by --reset: a fresh start" : "kept across restarts; --reset wipes it"})`,
    `  ${"schedules".padEnd(width)}  ${scheduleEvery === "template" ? "at the templates' rates" : `every ${scheduleEvery / 1000} s`} (--schedule-every)`,
    "",
    `  Endpoints are in ${relative(ROOT, stateFiles.endpoints) || stateFiles.endpoints}. Ctrl+C stops.`,
    "",
  ];
}

function untilStopped(stack: LocalStack, stateFiles: ReturnType<typeof stateFilesFor>): Promise<void> {
  let stopping = false;
  return new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        console.error(`\n${signal} again: exiting without a clean stop`);
        process.exit(130);
      }
      stopping = true;
      console.log(`\n${signal}: stopping...`);
      stack
        .stop()
        .catch((error: unknown) => console.error(`Stopping failed: ${(error as Error).message}`))
        .finally(() => {
          removeStackState(stateFiles);
          done();
        });
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

if (require.main === module) runMain(main);
