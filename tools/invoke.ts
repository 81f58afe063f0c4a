import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import {
  buildFunction,
  buildWorkerScript,
  createLogSink,
  describeApis,
  type FunctionDefinition,
  FunctionRuntime,
  type LogsOption,
  planService,
  runtimeFunction,
  TemplateError,
} from "@meridian/local-stack";
import { meridianProject } from "./lib/local-project";
import { deployOrder, loadEnvironment, loadServices, ROOT, type Service } from "./lib/project";
import { readStackState, type StackState } from "./lib/stack-state";

const USAGE = `Usage: npm run invoke -- <Function> [--event <file.json>] [--env NAME=value ...]

Runs one function once, like \`sam local invoke\`, against the running local
stack (\`npm start\` in another terminal): its environment is resolved from
the template as the stack resolves it, its logs go to stderr and its result
to stdout.

  <Function>          LogicalId (e.g. LoginFunction) or service/LogicalId
  -e, --event <file>  the event (JSON); '-' reads stdin; default {}
  --env NAME=value    override an environment variable (repeatable)
  --logs <mode>       pretty | raw | silent (default pretty)`;

class UsageError extends Error {}

function findFunction(services: Service[], wanted: string): Service {
  const [serviceName, logicalId] = wanted.includes("/") ? wanted.split("/", 2) : [undefined, wanted];
  const candidates = services.filter(
    (service) =>
      (serviceName === undefined || service.name === serviceName) &&
      service.template.Resources[logicalId ?? ""]?.Type === "AWS::Serverless::Function",
  );
  if (candidates.length === 1 && candidates[0]) return candidates[0];
  const all = services.flatMap((service) =>
    Object.entries(service.template.Resources)
      .filter(([, resource]) => resource.Type === "AWS::Serverless::Function")
      .map(([id]) => `${service.name}/${id}`),
  );
  if (candidates.length > 1) {
    throw new UsageError(
      `'${wanted}' is in several services (${candidates.map((s) => s.name).join(", ")}); write service/${wanted}`,
    );
  }
  throw new UsageError(`No function '${wanted}'. Functions:\n  ${all.join("\n  ")}`);
}

function readEvent(path: string | undefined): unknown {
  if (path === undefined) return {};
  const text = path === "-" ? readFileSync(0, "utf8") : readFileSync(resolve(path), "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
}

async function reachable(state: StackState): Promise<boolean> {
  try {
    await fetch(state.gatewayUrl, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      event: { type: "string", short: "e" },
      env: { type: "string", multiple: true },
      logs: { type: "string", default: "pretty" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || positionals.length !== 1 || !positionals[0]) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const event = readEvent(values.event);
  const state = readStackState();
  if (typeof state === "string") throw new UsageError(state);
  if (!(await reachable(state))) {
    throw new UsageError(
      `The local stack (pid ${state.pid}) does not answer at ${state.gatewayUrl}. Restart it with \`npm start\`.`,
    );
  }

  const services = deployOrder(loadServices(state.srcDir));
  const service = findFunction(services, positionals[0]);
  const logicalId = positionals[0].split("/").pop() ?? positionals[0];
  const environment = loadEnvironment(state.environment);
  const ssm = new SSMClient({
    endpoint: state.awsEndpoint,
    region: state.region,
    credentials: state.credentials,
  });
  const plan = await planService(service, {
    project: meridianProject,
    environment,
    apis: describeApis(meridianProject, services, environment, state.gatewayUrl),
    lookupParameter: async (name) => {
      try {
        return (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter
          ?.Value;
      } catch (error) {
        if (error instanceof ParameterNotFound) return undefined;
        throw error;
      }
    },
  });
  ssm.destroy();
  const definition = plan.functions.find((fn) => fn.logicalId === logicalId) as
    | FunctionDefinition
    | undefined;
  if (!definition)
    throw new UsageError(
      `${service.name}/${logicalId} is not created in environment ${state.environment} (its condition is false)`,
    );
  for (const assignment of values.env ?? []) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new UsageError(`--env takes NAME=value, got '${assignment}'`);
    definition.environment[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }

  const buildDir = join(ROOT, ".local", "build", `${process.pid}-invoke-${randomBytes(3).toString("hex")}`);
  const log = createLogSink(
    values.logs as LogsOption,
    (line) => process.stderr.write(`${line}\n`),
    process.stderr.isTTY === true,
  );
  try {
    const [built, workerScript] = await Promise.all([
      buildFunction(definition.spec, buildDir),
      buildWorkerScript(buildDir),
    ]);
    if (!built.ok) throw new UsageError(`Bundling ${definition.id} failed: ${built.error}`);
    const runtime = new FunctionRuntime(
      runtimeFunction(
        definition,
        built,
        {
          region: state.region,
          // The function's own role credentials, as in the stack; a stack.json from before they existed has none.
          credentials: state.functions[definition.id]?.credentials ?? state.credentials,
          dynamodbEndpoint: state.dynamodbEndpoint,
          awsEndpoint: state.awsEndpoint,
        },
        1,
      ),
      workerScript,
      log,
    );
    const outcome = await runtime.invoke(event);
    await runtime.stop();
    const duration = `${outcome.durationMs.toFixed(0)} ms`;
    if (outcome.ok) {
      process.stderr.write(
        `\n${definition.id} returned in ${duration}${outcome.coldStart ? " (cold start)" : ""}:\n`,
      );
      console.log(JSON.stringify(outcome.payload, null, 2));
      return 0;
    }
    process.stderr.write(`\n${definition.id} failed (${outcome.kind}) after ${duration}:\n`);
    console.log(
      JSON.stringify(
        {
          errorType: outcome.error.errorType,
          errorMessage: outcome.error.errorMessage,
          trace: outcome.error.trace,
        },
        null,
        2,
      ),
    );
    return 1;
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof TemplateError) console.error(error.message);
    else console.error(error);
    process.exit(1);
  },
);
