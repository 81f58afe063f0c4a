import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import {
  atLevel,
  atOrigins,
  buildFunction,
  buildRootCache,
  buildRootCodeCacheDir,
  buildWorkerScript,
  createLogSink,
  describeApis,
  type FunctionDefinition,
  FunctionRuntime,
  type InvokeOutcome,
  planService,
  runtimeFunction,
} from "@meridian/local-stack";
import { parseCli, runMain, UsageError } from "./lib/cli";
import { listFunctions } from "./lib/functions";
import { meridianProject } from "./lib/local-project";
import { LOG_OPTIONS, LOG_USAGE, logSettings } from "./lib/log-options";
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
  --token-from-login  log in as the user of events/LoginFunction.json (through
                      the running stack) and put that token in the event
${LOG_USAGE}`;

/** The sample user; events/README.md says which events need it (RegisterFunction creates it). */
export const SAMPLE_LOGIN_EVENT = join(ROOT, "events", "LoginFunction.json");

function findFunction(services: Service[], wanted: string): Service {
  const [serviceName, logicalId] = wanted.includes("/") ? wanted.split("/", 2) : [undefined, wanted];
  // A service's functions include those of the templates it nests (its registrar, its hook).
  const functionIds = (service: Service) => listFunctions(service).map((spec) => spec.logicalId);
  const candidates = services.filter(
    (service) =>
      (serviceName === undefined || service.name === serviceName) &&
      functionIds(service).includes(logicalId ?? ""),
  );
  if (candidates.length === 1 && candidates[0]) return candidates[0];
  const all = services.flatMap((service) => functionIds(service).map((id) => `${service.name}/${id}`));
  if (candidates.length > 1) {
    throw new UsageError(
      `'${wanted}' is in several services (${candidates.map((s) => s.name).join(", ")}); write service/${wanted}`,
    );
  }
  throw new UsageError(`No function '${wanted}'; functions: ${all.join(", ")}`);
}

export function readEvent(path: string | undefined): unknown {
  if (path === undefined) return {};
  if (path !== "-" && !existsSync(resolve(path))) {
    const events = relative(process.cwd(), join(ROOT, "events")) || "events";
    throw new UsageError(`No event file ${path}; the sample events are in ${events}/ (one per function)`);
  }
  const text = path === "-" ? readFileSync(0, "utf8") : readFileSync(resolve(path), "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
}

/** A bearer token for the sample user, from the running stack's POST /tokens. */
export async function sampleUserToken(state: StackState): Promise<string> {
  const auth = state.endpoints.auth;
  if (!auth) throw new UsageError("The running stack has no auth service; start it without --services");
  const login = JSON.parse(readFileSync(SAMPLE_LOGIN_EVENT, "utf8")) as { body: string };
  const reply = await fetch(`${auth}/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: login.body,
  });
  const answer = (await reply.json()) as { token?: string };
  if (reply.status === 401) {
    throw new UsageError(
      "The sample user does not exist yet: run `npm run invoke -- RegisterFunction --event events/RegisterFunction.json` first",
    );
  }
  if (!answer.token) throw new UsageError(`POST /tokens answered ${reply.status}: ${JSON.stringify(answer)}`);
  return answer.token;
}

/** The event with `Bearer <token>` where a TOKEN authorizer or a proxy handler reads it. */
export function withBearer(event: unknown, token: string): unknown {
  const copy = structuredClone(event) as Record<string, unknown>;
  const bearer = `Bearer ${token}`;
  if (copy.type === "TOKEN") return { ...copy, authorizationToken: bearer };
  copy.headers = { ...(copy.headers as object | undefined), Authorization: bearer };
  if (copy.multiValueHeaders)
    copy.multiValueHeaders = { ...(copy.multiValueHeaders as object), Authorization: [bearer] };
  return copy;
}

async function reachable(state: StackState): Promise<boolean> {
  try {
    await fetch(state.gatewayUrl, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** The running stack's state, or a UsageError saying how to start it. */
export async function runningStack(): Promise<StackState> {
  const state = readStackState();
  if (typeof state === "string") throw new UsageError(state);
  if (!(await reachable(state))) {
    throw new UsageError(
      `The local stack (pid ${state.pid}) does not answer at ${state.gatewayUrl}. Restart it with \`npm start\`.`,
    );
  }
  return state;
}

/** The function's definition as the stack resolves it: environment from the template and SSM. */
async function resolveFunction(state: StackState, wanted: string): Promise<FunctionDefinition> {
  const services = deployOrder(loadServices(state.srcDir));
  const service = findFunction(services, wanted);
  const logicalId = wanted.split("/").pop() ?? wanted;
  const environment = loadEnvironment(state.environment);
  const ssm = new SSMClient({
    endpoint: state.awsEndpoint,
    region: state.region,
    credentials: state.credentials,
  });
  try {
    const plan = await planService(service, {
      project: meridianProject,
      environment,
      apis: atOrigins(describeApis(meridianProject, services, environment), state.apiOrigins ?? {}),
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
    const definition = plan.functions.find((fn) => fn.logicalId === logicalId);
    if (!definition)
      throw new UsageError(
        `${service.name}/${logicalId} is not created in environment ${state.environment} (its condition is false)`,
      );
    return definition;
  } finally {
    ssm.destroy();
  }
}

type LogSink = ReturnType<typeof createLogSink>;

export interface InvokeOptions {
  /** NAME=value overrides of the function's environment. */
  env?: string[];
  log: LogSink;
}

/** Bundles and runs one function once against the running stack, as `npm run invoke` does. */
export async function invokeOnStack(
  state: StackState,
  wanted: string,
  event: unknown,
  options: InvokeOptions,
): Promise<{ id: string; outcome: InvokeOutcome }> {
  const definition = await resolveFunction(state, wanted);
  for (const assignment of options.env ?? []) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new UsageError(`--env takes NAME=value, got '${assignment}'`);
    definition.environment[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  const buildDir = join(ROOT, ".local", "build", `${process.pid}-invoke-${randomBytes(3).toString("hex")}`);
  try {
    // The running stack's bundles, so an unchanged function is linked, not bundled again.
    const cache = buildRootCache(buildDir);
    const [built, workerScript] = await Promise.all([
      buildFunction(definition.spec, buildDir, cache),
      buildWorkerScript(buildDir, cache),
    ]);
    if (!built.ok) throw new UsageError(`Bundling ${definition.id} failed: ${built.error}`);
    const endpoints = {
      region: state.region,
      // The function's own role credentials, as in the stack; a stack.json from before they existed has none.
      credentials: state.functions[definition.id]?.credentials ?? state.credentials,
      dynamodbEndpoint: state.dynamodbEndpoint,
      awsEndpoint: state.awsEndpoint,
    };
    // The running stack's code cache: a cold start here skips compiling what the stack's environments compiled.
    const runtime = new FunctionRuntime(
      runtimeFunction(definition, built, endpoints, 1),
      workerScript,
      options.log,
      {
        codeCacheDir: buildRootCodeCacheDir(buildDir),
      },
    );
    const outcome = await runtime.invoke(event);
    await runtime.stop();
    return { id: definition.id, outcome };
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

function report(id: string, outcome: InvokeOutcome): number {
  const duration = `${outcome.durationMs.toFixed(0)} ms`;
  if (outcome.ok) {
    process.stderr.write(`\n${id} returned in ${duration}${outcome.coldStart ? " (cold start)" : ""}:\n`);
    console.log(JSON.stringify(outcome.payload, null, 2));
    return 0;
  }
  process.stderr.write(`\n${id} failed (${outcome.kind}) after ${duration}:\n`);
  const { errorType, errorMessage, trace } = outcome.error;
  console.log(JSON.stringify({ errorType, errorMessage, trace }, null, 2));
  return 1;
}

export async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { values, positionals } = parseCli(
    {
      allowPositionals: true,
      options: {
        event: { type: "string", short: "e" },
        env: { type: "string", multiple: true },
        "token-from-login": { type: "boolean", default: false },
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
  const [wanted, ...extra] = positionals;
  if (!wanted) throw new UsageError("Name the function to invoke, e.g. `npm run invoke -- LoginFunction`");
  if (extra.length > 0) throw new UsageError(`One function at a time; unexpected '${extra.join(" ")}'`);
  const { logs, logLevel } = logSettings(values);
  let event = readEvent(values.event);
  const state = await runningStack();
  if (values["token-from-login"]) event = withBearer(event, await sampleUserToken(state));
  const log = atLevel(
    createLogSink(logs, (line) => process.stderr.write(`${line}\n`), process.stderr.isTTY === true),
    logLevel,
  );
  const { id, outcome } = await invokeOnStack(state, wanted, event, { env: values.env ?? [], log });
  return report(id, outcome);
}

if (require.main === module) runMain(main);
