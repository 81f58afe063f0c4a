import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LOCAL_ACCOUNT_ID, partitionOf } from "./constants";
import { LocalStackError, PortInUseError } from "./errors";
import { type FunctionRegistry, Gateway } from "./gateway";
import { functionCaller, LocalCallers } from "./iam";
import type { LocalProject, ProjectService as Service } from "./project";
import {
  buildFunctions,
  buildWorkerScript,
  FunctionRuntime,
  type InvokeOutcome,
  runtimeFunction,
} from "./runtime";
import {
  type AwsEndpoint,
  checkScheduleEvery,
  DEFAULT_SCHEDULE_EVERY_MS,
  ensureTables,
  type LocalDynamo,
  type ScheduleEvery,
  type ScheduleRun,
  Scheduler,
  startAwsEndpoint,
  startDynamo,
} from "./services";
import {
  assertDataDirFree,
  createLogSink,
  type FunctionCredentials,
  type LocalCredentials,
  type LogSink,
  type LogsOption,
  loadCredentials,
  loadFunctionCredentials,
  lockDataDir,
  removeStaleBuilds,
  stackLog,
} from "./support";
import { describeApis, planService, type ServicePlan } from "./template";

/**
 * The whole system on one machine: DynamoDB (dynalite), an SSM + Secrets
 * Manager endpoint, every function in its own Lambda-like worker, and an
 * HTTP gateway serving every API route read from the templates.
 */

export interface LocalStackOptions {
  /** The project to run: its services, environments and naming (see LocalProject). */
  project: LocalProject;
  /** Where tables, parameters, secrets and credentials live. Default `.local/data`. */
  dataDir?: string;
  /** Wipe the data directory first. */
  reset?: boolean;
  /** 0 picks a free port. Defaults 3000, 8000, 4566. */
  gatewayPort?: number;
  dynamodbPort?: number;
  awsPort?: number;
  /** An environment of environments.yaml. Default `local`. */
  environment?: string;
  /** Default the repository's environments.yaml; tests point it at fixtures. */
  environmentsFile?: string;
  logs?: LogsOption;
  /** Only these services (and what they depend on). Default: all. */
  services?: string[];
  /** Where services are found. Default `src/`; tests point it at fixtures. */
  srcDir?: string;
  /** Parent of this stack's own build directory. Default `.local/build`. */
  buildRoot?: string;
  /** Execution environments per function at most; further calls queue. Default 4. */
  maxConcurrency?: number;
  /** Run schedule events on a timer (first ~1 s after start). Default true; `runSchedules` works either way. */
  schedules?: boolean;
  /**
   * How often every `rate(...)` schedule runs locally, or `"template"` for
   * each template's own rate. Default 10 s: the registrars' 5 minutes would
   * hide a stopped service from the catalog for that long.
   */
  scheduleEveryMs?: ScheduleEvery;
}

export interface StopServiceOptions {
  /**
   * Also make the service's functions unknown to the control plane (GetFunction
   * answers ResourceNotFound), as if they had been deleted: its registrar then
   * finds nothing and deregisters it. The registrar itself keeps running.
   */
  functions?: boolean;
}

export interface LocalFunctionInfo {
  service: string;
  logicalId: string;
  functionName: string;
  arn: string;
  /** The role it runs as, what resource policies see as aws:PrincipalArn. */
  roleArn: string;
  /** What it signs with (its AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN). */
  credentials: FunctionCredentials;
}

export interface LocalStack {
  /** Base URL of each service's API: `{auth: "http://127.0.0.1:3000/auth", ...}`. */
  endpoints: Record<string, string>;
  gatewayUrl: string;
  /** DynamoDB (AWS_ENDPOINT_URL_DYNAMODB): a proxy in front of dynalite that checks signatures and identity policies. */
  dynamodbEndpoint: string;
  /** SSM, Secrets Manager, Lambda and API Gateway (AWS_ENDPOINT_URL_SSM, _SECRETS_MANAGER, _LAMBDA, _API_GATEWAY). */
  awsEndpoint: string;
  /**
   * The operator's: accepted everywhere, and subject to neither API resource policies nor identity
   * policies (the account's administrator). Functions have their own, held to their roles' policies.
   */
  credentials: LocalCredentials;
  region: string;
  environment: string;
  dataDir: string;
  /** Keyed by `service/LogicalId`. */
  functions: Record<string, LocalFunctionInfo>;
  /** Milliseconds from the call to ready. */
  startupMs: number;
  /**
   * That service's routes answer 503 and its REST API is gone for the control
   * plane (GetRestApi: NotFound, so its registrar registers it unhealthy) until
   * startService; see StopServiceOptions for its functions.
   */
  stopService(name: string, options?: StopServiceOptions): Promise<void>;
  startService(name: string): Promise<void>;
  /**
   * Runs the schedules of `service` (default: every service) now and resolves
   * with their outcomes; each runs after any run of it already under way.
   */
  runSchedules(service?: string): Promise<ScheduleRun[]>;
  /** Invokes a function directly, as `aws lambda invoke` would (`service/LogicalId` or a unique LogicalId). */
  invoke(functionId: string, event: unknown): Promise<InvokeOutcome>;
  stop(): Promise<void>;
}

/** The selected services plus everything they depend on, in deploy order. */
export function withDependencies(ordered: Service[], wanted: string[] | undefined): Service[] {
  if (!wanted || wanted.length === 0) return ordered;
  const byName = new Map(ordered.map((service) => [service.name, service]));
  const keep = new Set<string>();
  const add = (name: string): void => {
    const service = byName.get(name);
    if (!service)
      throw new LocalStackError(
        `Unknown service '${name}'; services in src/: ${[...byName.keys()].join(", ")}`,
      );
    if (keep.has(name)) return;
    keep.add(name);
    for (const dependency of service.metadata.dependencies) add(dependency);
  };
  for (const name of wanted) add(name);
  return ordered.filter((service) => keep.has(service.name));
}

class Registry implements FunctionRegistry {
  readonly runtimes = new Map<string, FunctionRuntime>();
  private readonly arns = new Map<string, FunctionRuntime>();

  add(runtime: FunctionRuntime): void {
    this.runtimes.set(runtime.fn.id, runtime);
    this.arns.set(runtime.fn.arn, runtime);
  }

  byId(id: string): FunctionRuntime | undefined {
    const direct = this.runtimes.get(id);
    if (direct) return direct;
    const matches = [...this.runtimes.values()].filter((runtime) => runtime.fn.logicalId === id);
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** Qualified ARNs (`...:function:name:alias`) and bare names resolve too. */
  byArn(arn: string): FunctionRuntime | undefined {
    const unqualified = arn.split(":").slice(0, 7).join(":");
    return (
      this.arns.get(unqualified) ??
      [...this.runtimes.values()].find((runtime) => runtime.fn.functionName === arn)
    );
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { project } = options;
  const startedAt = performance.now();
  const scheduleEvery = options.scheduleEveryMs ?? DEFAULT_SCHEDULE_EVERY_MS;
  checkScheduleEvery(scheduleEvery);
  const log: LogSink = createLogSink(options.logs ?? "pretty");
  const environment = project.loadEnvironment(options.environment ?? "local", options.environmentsFile);
  const services = withDependencies(project.loadServices(options.srcDir), options.services);
  const dataDir = resolve(options.dataDir ?? join(project.root, ".local", "data"));
  if (options.reset) {
    assertDataDirFree(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  const buildRoot = resolve(options.buildRoot ?? join(project.root, ".local", "build"));
  removeStaleBuilds(buildRoot);
  // Unique per stack so parallel test files never share bundles.
  const buildDir = join(buildRoot, `${process.pid}-${randomBytes(4).toString("hex")}`);
  const credentials = loadCredentials(dataDir);
  const callers = new LocalCallers(credentials);
  const region = environment.region;
  const registry = new Registry();
  const cleanups: Array<() => Promise<void> | void> = [
    () => rmSync(buildDir, { recursive: true, force: true }),
    unlock,
  ];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        stackLog(log, "WARN", `cleanup step failed: ${(error as Error).message}`);
      }
    }
  };

  try {
    // What stopService took away, per service: the gateway and the health checks both read it.
    const stopped = new Map<string, StopServiceOptions>();
    const settled = await Promise.allSettled([
      startDynamo({
        port: options.dynamodbPort ?? 8000,
        path: join(dataDir, "dynamodb"),
        callers,
        scope: { partition: partitionOf(region), region, accountId: LOCAL_ACCOUNT_ID },
        log,
      }),
      startAwsEndpoint({
        port: options.awsPort ?? 4566,
        dataDir,
        region,
        accountId: LOCAL_ACCOUNT_ID,
        callers,
        log,
      }),
      Gateway.start({
        port: options.gatewayPort ?? 3000,
        region,
        accountId: LOCAL_ACCOUNT_ID,
        callers,
        functions: registry,
        log,
        isStopped: (service) => stopped.has(service),
      }),
      buildWorkerScript(buildDir),
    ]);
    for (const result of settled) {
      if (result.status === "fulfilled" && typeof result.value === "object" && "close" in result.value) {
        const closable = result.value;
        cleanups.push(() => closable.close());
      }
    }
    const failures = settled.filter(
      (result): result is PromiseRejectedResult => result.status === "rejected",
    );
    if (failures.length > 0) {
      // Name every taken port at once rather than one per attempt.
      const taken = failures
        .map((failure) => failure.reason)
        .filter((reason) => reason instanceof PortInUseError);
      throw taken.length > 1
        ? new PortInUseError(taken.flatMap((error) => error.ports))
        : failures[0]?.reason;
    }
    const [dynamo, aws, gateway, workerScript] = settled.map(
      (result) => (result as PromiseFulfilledResult<unknown>).value,
    ) as [LocalDynamo, AwsEndpoint, Gateway, string];
    // Bundling is the slow part: it runs while the services deploy.
    const builds = buildFunctions(
      services.flatMap((service) => project.listFunctions(service)),
      buildDir,
    );
    // Cleanup must not delete the build directory under a running esbuild.
    cleanups.push(async () => {
      await Promise.all(builds.values());
    });
    // The stack manages its tables on dynalite itself, as CloudFormation would (not as a caller of the proxy).
    const dynamodb = new DynamoDBClient({
      endpoint: dynamo.internalUrl,
      region,
      credentials,
      maxAttempts: 1,
    });
    cleanups.push(() => dynamodb.destroy());
    cleanups.push(async () => {
      await Promise.all([...registry.runtimes.values()].map((runtime) => runtime.stop()));
    });

    const apis = describeApis(project, services, environment, gateway.url);
    const context = { region, dynamodbEndpoint: dynamo.url, awsEndpoint: aws.url };
    const plans: ServicePlan[] = [];
    const managedPolicies = new Map<string, unknown>();
    for (const service of services) {
      const plan = await planService(service, {
        project,
        environment,
        apis,
        managedPolicies,
        lookupParameter: async (name) => aws.parameters.find(name)?.value,
      });
      plans.push(plan);
      await ensureTables(dynamodb, plan.tables, log, service.name);
      for (const secret of plan.secrets) aws.secrets.ensure(secret);
      for (const parameter of plan.ssmParameters) aws.parameters.publish(parameter);
      for (const warning of plan.warnings) stackLog(log, "WARN", warning, { service: service.name });
    }
    const functionCredentials = loadFunctionCredentials(
      dataDir,
      plans.flatMap((plan) => plan.functions.map((fn) => fn.id)),
    );
    const functions: Record<string, LocalFunctionInfo> = {};
    for (const plan of plans) {
      for (const fn of plan.functions) {
        const built = (await builds.get(fn.id)) ?? { ok: false, error: "not built" };
        if (!built.ok)
          stackLog(log, "ERROR", `${fn.id} did not bundle: ${built.error}`, { service: fn.service });
        const issued = functionCredentials[fn.id];
        if (!issued) throw new LocalStackError(`No credentials were issued for ${fn.id}`);
        // Registered before the function can run, so the gateway knows its key from the first call.
        callers.add(
          functionCaller(fn.id, fn.functionName, fn.roleArn, issued, LOCAL_ACCOUNT_ID, fn.identityPolicy),
        );
        functions[fn.id] = {
          service: fn.service,
          logicalId: fn.logicalId,
          functionName: fn.functionName,
          arn: fn.arn,
          roleArn: fn.roleArn,
          credentials: issued,
        };
        registry.add(
          new FunctionRuntime(
            runtimeFunction(fn, built, { ...context, credentials: issued }, options.maxConcurrency ?? 4),
            workerScript,
            log,
          ),
        );
      }
      for (const api of plan.apis) gateway.mount(api);
    }
    gateway.ready();
    const deployedApis = plans.flatMap((plan) =>
      plan.apis.map((api) => ({ api, stackName: plan.stackName })),
    );
    const startedAtSeconds = Math.floor(Date.now() / 1000);
    aws.attach({
      getFunction(nameOrArn) {
        const fn = registry.byArn(nameOrArn)?.fn;
        if (!fn || stopped.get(fn.service)?.functions) return undefined;
        return {
          FunctionName: fn.functionName,
          FunctionArn: fn.arn,
          Runtime: fn.runtime,
          Handler: `${fn.moduleName}.${fn.exportName}`,
          Timeout: fn.timeoutSeconds,
          MemorySize: fn.memorySize,
          Environment: { Variables: fn.templateEnvironment },
        };
      },
      invoke: (nameOrArn, event) => registry.byArn(nameOrArn)?.invoke(event),
      getRestApi(id) {
        const found = deployedApis.find(({ api }) => api.apiId === id);
        if (!found || stopped.has(found.api.service)) return undefined;
        return { id, name: found.stackName, createdDate: startedAtSeconds, stage: found.api.stage };
      },
    });

    const scheduler = new Scheduler(
      plans.flatMap((plan) => plan.functions),
      async (functionId, event) => registry.byId(functionId)?.invoke(event),
      log,
      region,
    );
    if (options.schedules !== false) scheduler.start(scheduleEvery);
    cleanups.push(() => scheduler.stop());
    // Stopping runs these in reverse: first stop taking requests, then end the functions.
    cleanups.push(() => gateway.close());

    const endpoints: Record<string, string> = {};
    for (const api of apis) if (api.mount === api.service) endpoints[api.service] = api.baseUrl;
    const known = (name: string): void => {
      if (!services.some((service) => service.name === name)) {
        throw new LocalStackError(
          `Unknown service '${name}'; running: ${services.map((service) => service.name).join(", ")}`,
        );
      }
    };
    const startupMs = Math.round(performance.now() - startedAt);
    stackLog(log, "INFO", `ready in ${startupMs} ms`, { gateway: gateway.url });
    let stopping: Promise<void> | undefined;
    return {
      endpoints,
      gatewayUrl: gateway.url,
      dynamodbEndpoint: dynamo.url,
      awsEndpoint: aws.url,
      credentials,
      region,
      environment: environment.name,
      dataDir,
      functions,
      startupMs,
      async stopService(name, stopOptions = {}) {
        known(name);
        stopped.set(name, { functions: stopOptions.functions === true });
      },
      async startService(name) {
        known(name);
        stopped.delete(name);
      },
      async runSchedules(service) {
        if (service !== undefined) known(service);
        return scheduler.run(service);
      },
      async invoke(functionId, event) {
        const runtime = registry.byId(functionId);
        if (!runtime)
          throw new Error(`No function '${functionId}'; known: ${Object.keys(functions).join(", ")}`);
        return runtime.invoke(event);
      },
      stop() {
        stopping ??= cleanup();
        return stopping;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
