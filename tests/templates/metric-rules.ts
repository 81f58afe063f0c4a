import { readFileSync } from "node:fs";
import { type CfnResource, type CfnTemplate, samProperties } from "../../tools/lib/cfn-yaml";
import { listFunctions } from "../../tools/lib/functions";
import type { Service } from "../../tools/lib/project";

/**
 * Which metric exists in which AWS namespace, and with which dimension sets
 * (each set exactly as CloudWatch stores it; an alarm must name one whole
 * set, no more, no fewer). From the DynamoDB, Lambda and API Gateway (REST)
 * metric references; only metrics Meridian alarms on or graphs are listed,
 * so a new one has to be looked up and added here on purpose.
 */
export const AWS_METRICS: Record<string, Record<string, string[][]>> = {
  "AWS/DynamoDB": {
    ReadThrottleEvents: [["TableName"], ["TableName", "GlobalSecondaryIndexName"]],
    WriteThrottleEvents: [["TableName"], ["TableName", "GlobalSecondaryIndexName"]],
    ThrottledRequests: [["TableName", "Operation"]],
    SystemErrors: [["TableName", "Operation"]],
    ConsumedReadCapacityUnits: [["TableName"], ["TableName", "GlobalSecondaryIndexName"]],
    ConsumedWriteCapacityUnits: [["TableName"], ["TableName", "GlobalSecondaryIndexName"]],
  },
  "AWS/Lambda": Object.fromEntries(
    ["Errors", "Throttles", "Invocations", "Duration", "ConcurrentExecutions"].map((metric) => [
      metric,
      [["FunctionName"], ["FunctionName", "Resource"], ["FunctionName", "ExecutedVersion", "Resource"]],
    ]),
  ),
  "AWS/ApiGateway": Object.fromEntries(
    ["4XXError", "5XXError", "Count", "Latency", "IntegrationLatency"].map((metric) => [
      metric,
      [["ApiName"], ["ApiName", "Stage"], ["ApiName", "Method", "Resource", "Stage"]],
    ]),
  ),
};

/** Which resource type a dimension's value must name, for dimensions that name a resource by Ref. */
const DIMENSION_REF_TYPES: Record<string, string> = {
  TableName: "AWS::DynamoDB::Table",
  FunctionName: "AWS::Serverless::Function",
};

export const ALARM_TOPIC_SSM_NAME = "/meridian/{Environment}/ops/alarms/topic-arn";

export interface CustomMetric {
  name: string;
  /** Dimension names as the EMF output carries them (Powertools always adds `service`). */
  dimensions: string[];
}

const sameSet = (a: string[], b: string[]): boolean =>
  a.length === b.length && [...a].sort().join(",") === [...b].sort().join(",");

/**
 * The custom metrics a service's functions emit: every `addMetric("Name"`
 * in a function's entry point, plus Powertools' ColdStart for entry points
 * that capture it (directly or through httpHandler). Handlers are thin and
 * add their metrics themselves, so the entry point is where they are.
 */
export function emittedMetrics(service: Service): CustomMetric[] {
  const found = new Map<string, CustomMetric>();
  const add = (name: string, dimensions: string[]) =>
    found.set(`${name} ${dimensions.join(",")}`, { name, dimensions });
  for (const fn of listFunctions(service)) {
    const source = readFileSync(fn.entryPoint, "utf8");
    const extra = [...source.matchAll(/metrics\.addDimension\(\s*"([^"]+)"/g)].map((match) => match[1] ?? "");
    for (const match of source.matchAll(/metrics\.addMetric\(\s*(?:"([^"]+)"|(\w+))/g)) {
      const names = match[1] !== undefined ? [match[1]] : literalsAssignedTo(source, match[2] ?? "");
      for (const name of names) add(name, ["service", ...extra]);
    }
    // `const one = metrics.singleMetric()`: its own data point, with the default `service` and its own dimensions.
    for (const [, variable = ""] of source.matchAll(/const (\w+) = metrics\.singleMetric\(\)/g)) {
      const own = [...source.matchAll(new RegExp(`${variable}\\.addDimension\\(\\s*"([^"]+)"`, "g"))];
      for (const match of source.matchAll(new RegExp(`${variable}\\.addMetric\\(\\s*"([^"]+)"`, "g"))) {
        add(match[1] ?? "", ["service", ...own.map((dimension) => dimension[1] ?? "")]);
      }
    }
    if (/captureColdStartMetric\(|httpHandler\(/.test(source)) {
      add("ColdStart", ["service"]);
    }
  }
  return [...found.values()];
}

/** A metric name chosen at run time (`const metric = a ? "X" : "Y"`): the literals it is picked from. */
function literalsAssignedTo(source: string, variable: string): string[] {
  const assignment = new RegExp(`const ${variable}\\s*=([^;]+);`).exec(source)?.[1] ?? "";
  return [...assignment.matchAll(/"([A-Za-z]+)"/g)].map((match) => match[1] ?? "");
}

function functionEnvironment(properties: Record<string, unknown>): Record<string, unknown> {
  return (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
}

/**
 * The POWERTOOLS_* settings every function of the template runs with (from Globals, or
 * their own in a nested stack's functions); `differ` when two functions disagree.
 */
export function powertoolsSettings(template: CfnTemplate): { namespace: unknown; service: unknown } {
  const functions = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === "AWS::Serverless::Function",
  );
  const settings = (
    functions.length > 0
      ? functions.map(([logicalId]) => samProperties(template, logicalId))
      : [template.Globals?.Function ?? {}]
  ).map((properties) => {
    const variables = functionEnvironment(properties);
    return { namespace: variables.POWERTOOLS_METRICS_NAMESPACE, service: variables.POWERTOOLS_SERVICE_NAME };
  });
  const [first] = settings;
  return settings.every((setting) => equal(setting, first))
    ? (first ?? { namespace: undefined, service: undefined })
    : { namespace: "differ", service: "differ" };
}

interface Dimension {
  Name?: unknown;
  Value?: unknown;
}

function refName(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  return typeof ref === "string" ? ref : undefined;
}

function apis(template: CfnTemplate): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === "AWS::Serverless::Api",
  );
}

const equal = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Everything wrong with one alarm of a service template, as readable lines;
 * empty when the alarm watches a metric that exists, with dimensions the
 * metric has, whose values name the right kind of resource, and notifies the
 * environment's alarm topic.
 */
export function alarmProblems(service: Service, logicalId: string, template = service.template): string[] {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== "AWS::CloudWatch::Alarm") return [`${logicalId}: not an AWS::CloudWatch::Alarm`];
  const props = resource.Properties ?? {};
  const problems: string[] = [];
  const say = (message: string) => problems.push(`${service.name}: ${logicalId}: ${message}`);
  if (props.Metrics !== undefined) {
    const queries = props.Metrics as Array<{ Expression?: unknown; ReturnData?: unknown }>;
    const returned = queries.filter((query) => query.ReturnData !== false);
    if (returned.length !== 1 || typeof returned[0]?.Expression !== "string")
      say("a metric math alarm returns exactly one expression (every MetricStat has ReturnData: false)");
    if (props.MetricName !== undefined || props.Namespace !== undefined)
      say("a metric math alarm names its metrics in Metrics only");
  }
  for (const watched of watchedMetrics(props)) {
    for (const problem of metricProblems(service, template, watched)) say(problem);
  }
  if (props.TreatMissingData !== "notBreaching") say("TreatMissingData must be notBreaching");
  const topic = Object.entries(service.metadata.parameters).find(
    ([, ssm]) => ssm === ALARM_TOPIC_SSM_NAME,
  )?.[0];
  if (topic === undefined) say(`metadata.yaml consumes no ${ALARM_TOPIC_SSM_NAME}`);
  for (const key of ["AlarmActions", "OKActions"]) {
    const actions = props[key];
    if (!equal(actions, [{ Ref: topic }]))
      say(`${key} must be [!Ref ${topic}], got ${JSON.stringify(actions)}`);
  }
  return problems;
}

/** One metric an alarm watches: the alarm's own, or each MetricStat of a metric math alarm. */
export interface WatchedMetric {
  Namespace?: unknown;
  MetricName?: unknown;
  Dimensions?: unknown;
  Statistic?: unknown;
  Period?: unknown;
}

export function watchedMetrics(props: Record<string, unknown>): WatchedMetric[] {
  if (props.Metrics === undefined) return [props];
  return (
    props.Metrics as Array<{ MetricStat?: { Metric?: WatchedMetric; Stat?: unknown; Period?: unknown } }>
  )
    .filter((query) => query.MetricStat !== undefined)
    .map(({ MetricStat: stat }) => ({ ...stat?.Metric, Statistic: stat?.Stat, Period: stat?.Period }));
}

/** What is wrong with one watched metric: namespace, name, dimension set and what each dimension names. */
function metricProblems(service: Service, template: CfnTemplate, watched: WatchedMetric): string[] {
  const problems: string[] = [];
  const say = (message: string) => problems.push(message);
  const namespace = watched.Namespace;
  const metric = watched.MetricName;
  const dimensions = (watched.Dimensions ?? []) as Dimension[];
  const names = dimensions.map((dimension) => String(dimension.Name));
  const powertools = powertoolsSettings(template);

  if (typeof metric !== "string") say("MetricName must be a literal");
  if (typeof namespace === "string") {
    const metrics = AWS_METRICS[namespace];
    if (!metrics) {
      say(
        `namespace '${namespace}' is not an AWS namespace this project uses (a typo, or a missing 'AWS/'?)`,
      );
    } else {
      const sets = metrics[String(metric)];
      if (!sets) say(`${namespace} has no metric '${String(metric)}'`);
      else if (!sets.some((set) => sameSet(set, names))) {
        say(`${namespace} ${String(metric)} has dimension sets ${JSON.stringify(sets)}, not [${names}]`);
      }
    }
  } else if (equal(namespace, powertools.namespace)) {
    const emitted = emittedMetrics(service).filter((candidate) => candidate.name === metric);
    if (emitted.length === 0)
      say(`custom metric '${String(metric)}' is not emitted by any ${service.name} function`);
    else if (!emitted.some((candidate) => sameSet(candidate.dimensions, names))) {
      say(
        `custom metric '${String(metric)}' has EMF dimensions ${emitted.map((candidate) => `[${candidate.dimensions}]`).join(" or ")}, not [${names}]`,
      );
    }
  } else {
    say(
      `namespace ${JSON.stringify(namespace)} is neither AWS/... nor this service's POWERTOOLS_METRICS_NAMESPACE`,
    );
  }

  for (const dimension of dimensions) {
    const name = String(dimension.Name);
    const expectedType = DIMENSION_REF_TYPES[name];
    if (expectedType !== undefined) {
      const target = refName(dimension.Value);
      const type = target === undefined ? undefined : template.Resources[target]?.Type;
      if (type !== expectedType) {
        say(`${name} must be !Ref of an ${expectedType}, got ${JSON.stringify(dimension.Value)} (${type})`);
      }
    } else if (name === "Resource" || name === "ExecutedVersion") {
      // The alias's traffic (`<function>:live`), and the version being shifted to within it. A custom
      // metric's ExecutedVersion names the version of the one function that emits it.
      const fn =
        refName(dimensions.find((candidate) => candidate.Name === "FunctionName")?.Value) ??
        emittingFunction(service, template, String(metric));
      const expected =
        name === "Resource" ? { "Fn::Sub": `\${${fn}}:live` } : { "Fn::GetAtt": [fn, "Version.Version"] };
      if (!equal(dimension.Value, expected)) {
        say(`${name} must be ${JSON.stringify(expected)}, got ${JSON.stringify(dimension.Value)}`);
      }
    } else if (name === "ApiName") {
      // API Gateway reports the REST API's name, which SAM sets from the Api's Name property.
      if (!apis(template).some(([, api]) => equal(api.Properties?.Name, dimension.Value))) {
        say(`ApiName ${JSON.stringify(dimension.Value)} is not the Name of any AWS::Serverless::Api here`);
      }
    } else if (name === "Stage") {
      if (!apis(template).some(([, api]) => equal(api.Properties?.StageName, dimension.Value))) {
        say(`Stage ${JSON.stringify(dimension.Value)} is not the StageName of any AWS::Serverless::Api here`);
      }
    } else if (name === "service") {
      if (!equal(dimension.Value, powertools.service)) {
        say(
          `service ${JSON.stringify(dimension.Value)} is not POWERTOOLS_SERVICE_NAME ${JSON.stringify(powertools.service)}`,
        );
      }
    } else {
      say(`no rule says what dimension '${name}' must point at`);
    }
  }
  return problems;
}

/** The logical id of the one function whose entry point emits `metric`. */
function emittingFunction(service: Service, template: CfnTemplate, metric: string): string | undefined {
  const emitters = listFunctions(service).filter((fn) =>
    readFileSync(fn.entryPoint, "utf8").includes(`addMetric("${metric}"`),
  );
  const [only] = emitters;
  return emitters.length === 1 && only && template.Resources[only.logicalId] ? only.logicalId : undefined;
}

export function alarmsOf(template: CfnTemplate): Array<[string, Record<string, unknown>]> {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === "AWS::CloudWatch::Alarm")
    .map(([logicalId, resource]) => [logicalId, resource.Properties ?? {}]);
}
