import { join } from "node:path";
import { type CfnResource, type CfnTemplate, loadTemplate } from "../../tools/lib/cfn-yaml";
import { withNestedStacks } from "../../tools/lib/nested-stacks";
import { loadEnvironments, loadServices, ROOT, stackName } from "../../tools/lib/project";
import { publishedNames } from "../../tools/lib/ssm-contract";
import { ALARM_TOPIC_SSM_NAME, AWS_METRICS, emittedMetrics } from "./metric-rules";

const services = loadServices().map(withNestedStacks);
const ops = services.find((service) => service.name === "ops");
if (!ops) throw new Error("no src/ops service");
const template = ops.template;
const ENVIRONMENT = "dev";

const withApi = services.filter((service) =>
  Object.values(service.template.Resources).some((resource) => resource.Type === "AWS::Serverless::Api"),
);
const withTable = services.filter((service) =>
  Object.values(service.template.Resources).some((resource) => resource.Type === "AWS::DynamoDB::Table"),
);

/** The one resource of a type; a second one (or none) is itself a failure. */
function only(type: string, source: CfnTemplate = template): [string, CfnResource] {
  const found = Object.entries(source.Resources).filter(([, resource]) => resource.Type === type);
  const [first] = found;
  if (found.length !== 1 || !first) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return first;
}

/** CloudWatch's search tokens (camel case, digits and punctuation split; lower case). */
function tokens(name: string): string[] {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g) ?? []).map((token) => token.toLowerCase());
}

/** The dashboard body as CloudFormation renders it for `dev`. */
function dashboardBody(source: CfnTemplate = template): { widgets: Widget[] } {
  const [, dashboard] = only("AWS::CloudWatch::Dashboard", source);
  const sub = (dashboard.Properties?.DashboardBody as { "Fn::Sub"?: unknown } | undefined)?.["Fn::Sub"];
  if (typeof sub !== "string") throw new Error("DashboardBody must be !Sub of a JSON string");
  const values: Record<string, string> = { Environment: ENVIRONMENT, "AWS::Region": "us-east-1" };
  const text = sub.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name] ?? source.Parameters?.[name]?.Default;
    if (value === undefined) throw new Error(`DashboardBody: \${${name}} is neither a parameter nor known`);
    return String(value);
  });
  return JSON.parse(text);
}

interface Widget {
  type: string;
  properties: { title?: string; metrics?: unknown[][] };
}

interface GraphedMetric {
  widget: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  stat?: string;
  /** For SEARCH: the dimension names of its schema and its search terms. */
  search?: { dimensionNames: string[]; terms: string };
}

/** Every metric and SEARCH on the dashboard, in one shape. */
function graphedMetrics(): GraphedMetric[] {
  const found: GraphedMetric[] = [];
  for (const widget of dashboardBody().widgets) {
    const title = widget.properties.title ?? "";
    for (const entry of widget.properties.metrics ?? []) {
      const [first] = entry;
      if (typeof first === "object" && first !== null && "expression" in first) {
        const expression = String((first as { expression: unknown }).expression);
        const match = /SEARCH\('\{([^}]+)\}\s*MetricName="([^"]+)"\s*([^']*)'/.exec(expression);
        if (!match) throw new Error(`${title}: unexpected expression ${expression}`);
        const [namespace = "", ...dimensionNames] = (match[1] ?? "").split(",").map((part) => part.trim());
        found.push({
          widget: title,
          namespace,
          metric: match[2] ?? "",
          dimensions: {},
          search: { dimensionNames, terms: match[3] ?? "" },
        });
        continue;
      }
      const strings = entry.filter((item): item is string => typeof item === "string");
      const options = entry.find((item) => typeof item === "object") as { stat?: string } | undefined;
      const [namespace = "", metric = "", ...pairs] = strings;
      const dimensions: Record<string, string> = {};
      for (let index = 0; index + 1 < pairs.length; index += 2) {
        dimensions[pairs[index] ?? ""] = pairs[index + 1] ?? "";
      }
      found.push({ widget: title, namespace, metric, dimensions, stat: options?.stat });
    }
  }
  return found;
}

describe("ops template", () => {
  test("depends on nothing and is the only service without dependencies on it missing", () => {
    expect(ops.metadata.dependencies).toEqual([]);
    for (const service of services) {
      if (service.name === "ops") continue;
      expect([service.name, service.metadata.dependencies]).toEqual([
        service.name,
        expect.arrayContaining(["ops"]),
      ]);
    }
  });

  test("owns the environment's one alarm topic and publishes its ARN in SSM", () => {
    const [topicId] = only("AWS::SNS::Topic");
    const [parameter] = publishedNames(ops).filter((entry) => entry.ssmName === ALARM_TOPIC_SSM_NAME);
    expect(parameter).toBeDefined();
    expect(template.Resources[parameter?.logicalId ?? ""]?.Properties?.Value).toEqual({ Ref: topicId });
    // No service owns a topic of its own: every alarm goes to this one.
    for (const service of services) {
      if (service.name === "ops") continue;
      const own = Object.values(service.template.Resources).filter((r) => r.Type === "AWS::SNS::Topic");
      expect([service.name, own.length]).toEqual([service.name, 0]);
    }
  });

  test("e-mails the topic to the address environments.yaml gives, when it gives one", () => {
    const [, subscription] = only("AWS::SNS::Subscription");
    const [topicId] = only("AWS::SNS::Topic");
    expect(subscription).toMatchObject({
      Condition: "HasAlarmEmail",
      Properties: { TopicArn: { Ref: topicId }, Protocol: "email", Endpoint: { Ref: "AlarmEmail" } },
    });
    expect(template.Conditions?.HasAlarmEmail).toEqual({
      "Fn::Not": [{ "Fn::Equals": [{ Ref: "AlarmEmail" }, ""] }],
    });
    const declared = template.Parameters?.AlarmEmail as { AllowedPattern?: string } | undefined;
    const pattern = new RegExp(String(declared?.AllowedPattern));
    for (const environment of loadEnvironments().values()) {
      if (environment.name === "local") continue;
      const email = environment.services.ops?.AlarmEmail;
      expect([environment.name, typeof email]).toEqual([environment.name, "string"]);
      expect(pattern.test(email ?? "")).toBe(true);
    }
  });
});

describe("the environment dashboard", () => {
  const graphed = graphedMetrics();

  test("is one per environment and valid JSON once substituted", () => {
    only("AWS::CloudWatch::Dashboard");
    expect(template.Resources.Dashboard?.Properties?.DashboardName).toEqual({
      "Fn::Sub": `meridian-\${Environment}`,
    });
    expect(dashboardBody().widgets.length).toBeGreaterThan(0);
  });

  test("graphs only metrics that exist, with dimensions they have", () => {
    expect.hasAssertions();
    const custom = new Map(services.map((service) => [service.name, emittedMetrics(service)]));
    for (const entry of graphed) {
      const where = `${entry.widget}: ${entry.namespace} ${entry.metric}`;
      if (entry.namespace === `Meridian/${ENVIRONMENT}`) {
        const emitted = (custom.get(entry.dimensions.service ?? "") ?? []).find(
          (m) => m.name === entry.metric,
        );
        expect([where, emitted?.dimensions]).toEqual([where, Object.keys(entry.dimensions)]);
        continue;
      }
      const sets = AWS_METRICS[entry.namespace]?.[entry.metric];
      expect([where, sets !== undefined]).toEqual([where, true]);
      const names = entry.search ? entry.search.dimensionNames : Object.keys(entry.dimensions);
      const matches = (sets ?? []).some((set) => [...set].sort().join() === [...names].sort().join());
      expect([where, names, matches]).toEqual([where, names, true]);
    }
  });

  test.each(
    withApi.map((service) => service.name),
  )("%s: requests, errors and p50/p99 latency of its API", (name) => {
    const api = { ApiName: `meridian-${ENVIRONMENT}-${name}`, Stage: ENVIRONMENT };
    const onApi = graphed.filter((entry) => JSON.stringify(entry.dimensions) === JSON.stringify(api));
    const has = (metric: string, stat: string) => onApi.some((e) => e.metric === metric && e.stat === stat);
    expect(has("Count", "Sum")).toBe(true);
    expect(has("5XXError", "Sum")).toBe(true);
    expect(has("4XXError", "Sum")).toBe(true);
    expect(has("Latency", "p50")).toBe(true);
    expect(has("Latency", "p99")).toBe(true);
  });

  test.each(withApi.map((service) => service.name))("%s: Lambda errors and throttles", (name) => {
    expect.hasAssertions();
    for (const metric of ["Errors", "Throttles"]) {
      const search = graphed.find(
        (entry) =>
          entry.namespace === "AWS/Lambda" &&
          entry.metric === metric &&
          entry.search?.terms.includes(`FunctionName=${name}`),
      );
      expect([metric, search?.search?.terms]).toEqual([
        metric,
        `FunctionName=meridian FunctionName=${ENVIRONMENT} FunctionName=${name}`,
      ]);
    }
  });

  test.each(withTable.map((service) => service.name))("%s: table read and write throttles", (name) => {
    expect.hasAssertions();
    for (const metric of ["ReadThrottleEvents", "WriteThrottleEvents"]) {
      const search = graphed.find(
        (entry) =>
          entry.namespace === "AWS/DynamoDB" &&
          entry.metric === metric &&
          entry.search?.terms.includes(`=${name}`),
      );
      expect([metric, search?.search?.terms]).toEqual([
        metric,
        `TableName=meridian TableName=${ENVIRONMENT} TableName=${name}`,
      ]);
    }
  });

  test("the name tokens the searches use are in every name the stacks generate", () => {
    expect.hasAssertions();
    // Standalone stacks (tools/deploy, the pipeline) are meridian-<env>-<service>;
    // nested ones meridian-<env>-<Service>Service-<id>. Generated function and
    // table names start with the stack name.
    const root = loadTemplate(join(ROOT, "template.yaml"));
    for (const service of withApi) {
      expect(tokens(stackName(ENVIRONMENT, service.name))).toEqual(
        expect.arrayContaining(["meridian", ENVIRONMENT, service.name]),
      );
      const [nestedId] =
        Object.entries(root.Resources).find(
          ([, resource]) => resource.Properties?.Location === `src/${service.name}/template.yaml`,
        ) ?? [];
      expect(tokens(`${stackName(ENVIRONMENT, String(nestedId))}-1A2B3C4D5E6F`)).toContain(service.name);
    }
  });

  test("shows every business metric under the service that emits it", () => {
    expect.hasAssertions();
    const business: Record<string, string[]> = {
      auth: ["UsersRegistered", "LoginSucceeded", "LoginFailed", "LoginLockedOut"],
      location: ["LocationUpdated"],
      profile: ["ProfileRead", "LocationLookupDegraded"],
    };
    for (const [service, metrics] of Object.entries(business)) {
      for (const metric of metrics) {
        const shown = graphed.some(
          (entry) =>
            entry.namespace === `Meridian/${ENVIRONMENT}` &&
            entry.metric === metric &&
            entry.dimensions.service === service,
        );
        expect([service, metric, shown]).toEqual([service, metric, true]);
      }
    }
    for (const service of withApi) {
      const coldStarts = graphed.some(
        (entry) => entry.metric === "ColdStart" && entry.dimensions.service === service.name,
      );
      expect([service.name, coldStarts]).toEqual([service.name, true]);
    }
  });
});
