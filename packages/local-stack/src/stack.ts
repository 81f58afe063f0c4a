import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LOCAL_ACCOUNT_ID, partitionOf } from "./constants";
import { LocalStackError, PortInUseError } from "./errors";
import { type FunctionRegistry, Gateway } from "./gateway";
import { functionCaller, LocalCallers } from "./iam";
import type { LocalProject, ProjectEnvironment, ProjectService as Service } from "./project";
import {
  type BuildResult,
  type BundleCache,
  buildFunctions,
  buildRootCache,
  buildRootCodeCacheDir,
  buildWorkerScript,
  FunctionRuntime,
  type InvokeOutcome,
  pruneCodeCache,
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
  atLevel,
  createLogSink,
  type FunctionCredentials,
  type LocalCredentials,
  type LogLevel,
  type LogSink,
  type LogsOption,
  loadCredentials,
  loadFunctionCredentials,
  lockDataDir,
  removeStaleBuilds,
  stackLog,
} from "./support";
import {
  describeApis,
  expandLanguageExtensions,
  type LocalApi,
  planService,
  type ServicePlan,
  type StaticSite,
  staticSitesOf,
} from "./template";

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
  /** Entries below it are not logged (the functions still log at their environment's LogLevel). Default DEBUG. */
  logLevel?: LogLevel;
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
  /**
   * Base URL of each service's API as API Gateway serves it, stage once:
   * `{auth: "http://127.0.0.1:<its port>/local", ...}` (each API has a port of its own,
   * as each has a host of its own on AWS).
   */
  endpoints: Record<string, string>;
  /** Each API's origin (`http://127.0.0.1:<port>`), by API id: what its execute-api host becomes locally. */
  apiOrigins: Record<string, string>;
  gatewayUrl: string;
  /** Where the gateway serves a template's static site (`Metadata.StaticSite`), when one declares it. */
  siteUrl?: string;
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

/**
 * Everything started so far is stopped here, last first: the one place
 * start-up failures and `stop()` clean up.
 */
class Cleanup {
  private readonly steps: Array<() => Promise<void> | void> = [];

  constructor(private readonly log: LogSink) {}

  defer(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        stackLog(this.log, "WARN", `cleanup step failed: ${(error as Error).message}`);
      }
    }
  }
}

/** What start-up resolved before anything listens. */
interface Setup {
  options: LocalStackOptions;
  project: LocalProject;
  log: LogSink;
  environment: ProjectEnvironment;
  services: Service[];
  region: string;
  dataDir: string;
  buildDir: string;
  /** Bundles shared by the stacks of one build root, so an unchanged function is not bundled again. */
  bundleCache: BundleCache;
  /** The V8 code cache the stack's execution environments share. */
  codeCacheDir: string;
  credentials: LocalCredentials;
  callers: LocalCallers;
  registry: Registry;
  /** What stopService took away, per service: the gateway and the health checks both read it. */
  stopped: Map<string, StopServiceOptions>;
}

interface Servers {
  dynamo: LocalDynamo;
  aws: AwsEndpoint;
  gateway: Gateway;
  workerScript: string;
}

/** Credentials for a role session that lives as long as the stack (AWS's shape: ASIA key, session token). */
function temporaryCredentials(): FunctionCredentials {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString("base64"),
    sessionToken: randomBytes(64).toString("base64"),
  };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const startedAt = performance.now();
  const scheduleEvery = options.scheduleEveryMs ?? DEFAULT_SCHEDULE_EVERY_MS;
  checkScheduleEvery(scheduleEvery);
  const log: LogSink = atLevel(createLogSink(options.logs ?? "pretty"), options.logLevel ?? "DEBUG");
  const cleanup = new Cleanup(log);
  try {
    const setup = prepare(options, log, cleanup);
    const servers = await startServers(setup, cleanup);
    // Bundling is the slow part: it runs while the services deploy.
    const builds = buildFunctions(
      setup.services.flatMap((service) => setup.project.listFunctions(service)),
      setup.buildDir,
      setup.bundleCache,
    );
    // Cleanup must not delete the build directory under a running esbuild.
    cleanup.defer(async () => {
      await Promise.all(builds.values());
    });
    cleanup.defer(async () => {
      await Promise.all([...setup.registry.runtimes.values()].map((runtime) => runtime.stop()));
    });
    const apis = await servers.gateway.listenApis(
      describeApis(setup.project, setup.services, setup.environment),
    );
    const plans = await deployServices(setup, servers, apis, cleanup);
    const functions = await startFunctions(setup, servers, plans, builds);
    attachControlPlane(setup, servers.aws, plans);
    const scheduler = new Scheduler(
      plans.flatMap((plan) => plan.functions),
      async (functionId, event) => setup.registry.byId(functionId)?.invoke(event),
      log,
      setup.region,
    );
    if (options.schedules !== false) scheduler.start(scheduleEvery);
    cleanup.defer(() => scheduler.stop());
    // Stopping runs these in reverse: first stop taking requests, then end the functions.
    cleanup.defer(() => servers.gateway.close());
    const startupMs = Math.round(performance.now() - startedAt);
    stackLog(log, "INFO", `ready in ${startupMs} ms`, { gateway: servers.gateway.url });
    return runningStack(setup, servers, { apis, plans, functions, scheduler, startupMs, cleanup });
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

/** The project's services and environment, the data directory (reset, locked) and this stack's build directory. */
function prepare(options: LocalStackOptions, log: LogSink, cleanup: Cleanup): Setup {
  const { project } = options;
  const environment = project.loadEnvironment(options.environment ?? "local", options.environmentsFile);
  // Expanded here too (idempotent), so a project that hands over raw templates gets Fn::ForEach
  // expanded, or a start-up error naming what the local stack cannot expand.
  const services = withDependencies(project.loadServices(options.srcDir), options.services).map(
    (service) => ({ ...service, template: expandLanguageExtensions(service.template, service.templatePath) }),
  );
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
  cleanup.defer(() => rmSync(buildDir, { recursive: true, force: true }));
  cleanup.defer(unlock);
  const credentials = loadCredentials(dataDir);
  const codeCacheDir = buildRootCodeCacheDir(buildDir);
  pruneCodeCache(codeCacheDir);
  return {
    options,
    project,
    log,
    environment,
    services,
    region: environment.region,
    dataDir,
    buildDir,
    bundleCache: buildRootCache(buildDir),
    codeCacheDir,
    credentials,
    callers: new LocalCallers(credentials),
    registry: new Registry(),
    stopped: new Map(),
  };
}

/** DynamoDB, the AWS endpoint, the gateway and the worker script, at once; every taken port named together. */
async function startServers(setup: Setup, cleanup: Cleanup): Promise<Servers> {
  const { options, region, callers, log, dataDir } = setup;
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
      functions: setup.registry,
      log,
      isStopped: (service) => setup.stopped.has(service),
    }),
    buildWorkerScript(setup.buildDir, setup.bundleCache),
  ]);
  for (const result of settled) {
    if (result.status === "fulfilled" && typeof result.value === "object" && "close" in result.value) {
      const closable = result.value;
      cleanup.defer(() => closable.close());
    }
  }
  const failures = settled.filter((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failures.length > 0) {
    // Name every taken port at once rather than one per attempt.
    const taken = failures
      .map((failure) => failure.reason)
      .filter((reason) => reason instanceof PortInUseError);
    throw taken.length > 1 ? new PortInUseError(taken.flatMap((error) => error.ports)) : failures[0]?.reason;
  }
  const [dynamo, aws, gateway, workerScript] = settled.map(
    (result) => (result as PromiseFulfilledResult<unknown>).value,
  ) as [LocalDynamo, AwsEndpoint, Gateway, string];
  return { dynamo, aws, gateway, workerScript };
}

/** Each service in deploy order, as CloudFormation would: plan, tables, secrets, published parameters. */
async function deployServices(
  setup: Setup,
  servers: Servers,
  apis: LocalApi[],
  cleanup: Cleanup,
): Promise<ServicePlan[]> {
  const { aws } = servers;
  // The stack manages its tables on dynalite itself, as CloudFormation would (not as a caller of the proxy).
  const dynamodb = new DynamoDBClient({
    endpoint: servers.dynamo.internalUrl,
    region: setup.region,
    credentials: setup.credentials,
    maxAttempts: 1,
  });
  cleanup.defer(() => dynamodb.destroy());
  const plans: ServicePlan[] = [];
  const managedPolicies = new Map<string, unknown>();
  for (const service of setup.services) {
    const plan = await planService(service, {
      project: setup.project,
      environment: setup.environment,
      apis,
      managedPolicies,
      siteUrl: servers.gateway.url,
      lookupParameter: async (name) => aws.parameters.find(name)?.value,
    });
    plans.push(plan);
    await ensureTables(dynamodb, plan.tables, setup.log, service.name);
    for (const secret of plan.secrets) aws.secrets.ensure(secret);
    for (const parameter of plan.ssmParameters) aws.parameters.publish(parameter);
    for (const warning of plan.warnings) stackLog(setup.log, "WARN", warning, { service: service.name });
  }
  return plans;
}

/** Every function with its credentials, in its runtime; then the APIs that call them are mounted. */
async function startFunctions(
  setup: Setup,
  servers: Servers,
  plans: ServicePlan[],
  builds: Map<string, Promise<BuildResult>>,
): Promise<Record<string, LocalFunctionInfo>> {
  const { log, callers, registry } = setup;
  const context = {
    region: setup.region,
    dynamodbEndpoint: servers.dynamo.url,
    awsEndpoint: servers.aws.url,
  };
  const issuedAll = loadFunctionCredentials(
    setup.dataDir,
    plans.flatMap((plan) => plan.functions.map((fn) => fn.id)),
  );
  const functions: Record<string, LocalFunctionInfo> = {};
  const integrationRoles = new Map<string, FunctionCredentials>();
  servers.gateway.connectAwsServices({
    dynamodbUrl: servers.dynamo.url,
    credentials: (callerId) => integrationRoles.get(callerId),
  });
  for (const plan of plans) {
    for (const fn of plan.functions) {
      const built = (await builds.get(fn.id)) ?? { ok: false, error: "not built" };
      if (!built.ok)
        stackLog(log, "ERROR", `${fn.id} did not bundle: ${built.error}`, { service: fn.service });
      const issued = issuedAll[fn.id];
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
      const definition = runtimeFunction(
        fn,
        built,
        { ...context, credentials: issued },
        setup.options.maxConcurrency ?? 4,
      );
      registry.add(
        new FunctionRuntime(definition, servers.workerScript, log, { codeCacheDir: setup.codeCacheDir }),
      );
    }
    mountApis(setup, servers.gateway, plan, integrationRoles);
  }
  const [site, ...otherSites] = staticSites(setup);
  if (site) servers.gateway.serveSite(site);
  for (const other of otherSites) {
    stackLog(
      log,
      "WARN",
      `${other.source} declares a second static site; the gateway serves only ${site?.source} at /`,
    );
  }
  servers.gateway.ready();
  return functions;
}

/** The static sites the templates declare; the gateway serves the first at /. */
function staticSites(setup: Setup): StaticSite[] {
  return setup.services.flatMap((service) => staticSitesOf(service, setup.project.root));
}

/** A service's APIs on the gateway, each AWS integration's role with a session of its own. */
function mountApis(
  setup: Setup,
  gateway: Gateway,
  plan: ServicePlan,
  integrationRoles: Map<string, FunctionCredentials>,
): void {
  for (const api of plan.apis) {
    for (const warning of gateway.mount(api))
      stackLog(setup.log, "WARN", warning, { service: plan.service.name });
    for (const route of api.routes) {
      const role = route.integration.type === "AWS" ? route.integration.role : undefined;
      if (!role || integrationRoles.has(role.callerId)) continue;
      // API Gateway's session of the role: its calls are held to the role's policy like a function's.
      const issued = temporaryCredentials();
      integrationRoles.set(role.callerId, issued);
      setup.callers.add(
        functionCaller(
          role.callerId,
          "BackplaneAssumeRoleSession",
          role.roleArn,
          issued,
          LOCAL_ACCOUNT_ID,
          role.identityPolicy,
        ),
      );
    }
  }
}

/** What the Lambda and API Gateway endpoints answer about the running functions and APIs. */
function attachControlPlane(setup: Setup, aws: AwsEndpoint, plans: ServicePlan[]): void {
  const { registry, stopped } = setup;
  const deployedApis = plans.flatMap((plan) => plan.apis.map((api) => ({ api, stackName: plan.stackName })));
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
}

function runningStack(
  setup: Setup,
  servers: Servers,
  started: {
    apis: LocalApi[];
    plans: ServicePlan[];
    functions: Record<string, LocalFunctionInfo>;
    scheduler: Scheduler;
    startupMs: number;
    cleanup: Cleanup;
  },
): LocalStack {
  const { services, stopped, registry } = setup;
  const { functions, scheduler } = started;
  const endpoints: Record<string, string> = {};
  for (const api of started.plans.flatMap((plan) => plan.apis))
    if (api.mount === api.service) endpoints[api.service] = api.baseUrl;
  const apiOrigins = Object.fromEntries(started.apis.map((api) => [api.apiId, api.origin]));
  const known = (name: string): void => {
    if (!services.some((service) => service.name === name)) {
      throw new LocalStackError(
        `Unknown service '${name}'; running: ${services.map((service) => service.name).join(", ")}`,
      );
    }
  };
  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    apiOrigins,
    gatewayUrl: servers.gateway.url,
    ...(staticSites(setup).length > 0 ? { siteUrl: `${servers.gateway.url}/` } : {}),
    dynamodbEndpoint: servers.dynamo.url,
    awsEndpoint: servers.aws.url,
    credentials: setup.credentials,
    region: setup.region,
    environment: setup.environment.name,
    dataDir: setup.dataDir,
    functions,
    startupMs: started.startupMs,
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
      stopping ??= started.cleanup.run();
      return stopping;
    },
  };
}
