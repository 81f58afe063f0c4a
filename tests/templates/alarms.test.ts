import { type CfnResource, type CfnTemplate, samProperties } from "../../tools/lib/cfn-yaml";
import { withNestedStacks } from "../../tools/lib/nested-stacks";
import { loadServices, type Service } from "../../tools/lib/project";
import {
  ALARM_TOPIC_SSM_NAME,
  AWS_METRICS,
  alarmProblems,
  alarmsOf,
  emittedMetrics,
  powertoolsSettings,
  watchedMetrics,
} from "./metric-rules";

const services = loadServices().map(withNestedStacks);

function resourcesOfType(template: CfnTemplate, type: string): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([logicalId]) => logicalId);
}

/**
 * The alarms on one metric whose dimension `name` is `value`, each seen as an alarm on that
 * metric alone (a metric math alarm with the statistic and period of its MetricStat on it).
 */
function alarmsOn(
  template: CfnTemplate,
  namespace: string,
  metric: string,
  name: string,
  value: unknown,
): Array<Record<string, unknown>> {
  return alarmsOf(template).flatMap(([, props]) =>
    watchedMetrics(props)
      .filter(
        (watched) =>
          watched.Namespace === namespace &&
          watched.MetricName === metric &&
          ((watched.Dimensions ?? []) as Array<{ Name: string; Value: unknown }>).some(
            (dimension) =>
              dimension.Name === name && JSON.stringify(dimension.Value) === JSON.stringify(value),
          ),
      )
      .map((watched) => ({ ...props, ...watched })),
  );
}

function isNewVersionAlarm(props: { Dimensions?: unknown }): boolean {
  return ((props.Dimensions ?? []) as Array<{ Name: string }>).some(
    (dimension) => dimension.Name === "ExecutedVersion",
  );
}

/** The rule for throttles and errors: one event in a one-minute Sum raises the alarm. */
function expectOneEventInAMinute(what: string, alarms: Array<Record<string, unknown>>): void {
  expect([what, alarms.length]).toEqual([what, 1]);
  expect(alarms[0]).toMatchObject({
    Statistic: "Sum",
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
  });
}

const withResources = services.filter((service) => Object.keys(service.template.Resources).length > 0);

describe.each(
  withResources.map((service) => [service.name, service] as [string, Service]),
)("%s alarms", (_name, service) => {
  const template = service.template;

  test("every alarm names a real metric, its real dimensions, the right resources and the topic", () => {
    const problems = alarmsOf(template).flatMap(([logicalId]) => alarmProblems(service, logicalId));
    expect(problems).toEqual([]);
  });

  // Tests over one kind of resource exist only where the template has one: a vacuous test
  // would pass with nothing checked.
  if (resourcesOfType(template, "AWS::DynamoDB::Table").length > 0)
    test("every table alarms on ReadThrottleEvents and WriteThrottleEvents", () => {
      expect.hasAssertions();
      for (const table of resourcesOfType(template, "AWS::DynamoDB::Table")) {
        for (const metric of ["ReadThrottleEvents", "WriteThrottleEvents"]) {
          expectOneEventInAMinute(
            `${table} ${metric}`,
            alarmsOn(template, "AWS/DynamoDB", metric, "TableName", { Ref: table }),
          );
        }
      }
    });

  if (resourcesOfType(template, "AWS::Serverless::Function").length > 0)
    test("every function, registrars included, alarms on Errors and Throttles", () => {
      expect.hasAssertions();
      for (const fn of resourcesOfType(template, "AWS::Serverless::Function")) {
        for (const metric of ["Errors", "Throttles"]) {
          expectOneEventInAMinute(
            `${fn} ${metric}`,
            // All versions: the rollback alarms on the new version alone are checked below.
            alarmsOn(template, "AWS/Lambda", metric, "FunctionName", { Ref: fn }).filter(
              (props) => !isNewVersionAlarm(props),
            ),
          );
        }
      }
    });

  // A custom resource's provider is invoked by CloudFormation alone, inside the deploy that
  // changes it: there is no traffic to shift, and a CodeDeploy rollback could not undo the stack operation.
  const customResourceProviders = new Set(
    Object.values(template.Resources).flatMap((resource) => {
      const token = JSON.stringify(resource.Properties?.ServiceToken ?? null);
      return resourcesOfType(template, "AWS::Serverless::Function").filter((fn) => token.includes(`"${fn}`));
    }),
  );
  if (resourcesOfType(template, "AWS::Serverless::Function").length > 0)
    test("every function but the pre-traffic hook and custom-resource providers shifts traffic gradually, rolled back by its new version's errors and its API's 5XX", () => {
      expect.hasAssertions();
      const apiAlarms = alarmsOf(template)
        .filter(([, props]) => props.Namespace === "AWS/ApiGateway" && props.MetricName === "5XXError")
        .map(([logicalId]) => logicalId);
      // The hook is nested (src/shared/templates/deployment.yaml): known by its code, not its logical id.
      const hook = resourcesOfType(template, "AWS::Serverless::Function").find((fn) =>
        JSON.stringify(template.Resources[fn]?.Metadata).includes("src/pretraffic/handler.ts"),
      );
      for (const fn of resourcesOfType(template, "AWS::Serverless::Function")) {
        // As SAM merges it: Type, Role and Hooks may be shared in Globals, Alarms are the function's own.
        const properties = samProperties(template, fn);
        const preference = properties.DeploymentPreference as
          | {
              Enabled?: unknown;
              Type?: unknown;
              Role?: unknown;
              Hooks?: { PreTraffic?: unknown };
              Alarms?: unknown[];
            }
          | undefined;
        if (fn === hook || customResourceProviders.has(fn)) {
          // None, or the shared one switched off (SAM then creates no deployment group).
          expect([fn, preference === undefined || preference.Enabled === false]).toEqual([fn, true]);
          continue;
        }
        expect([fn, preference?.Enabled, properties.AutoPublishAlias]).toEqual([fn, undefined, "live"]);
        expect([fn, preference?.Type, preference?.Hooks?.PreTraffic]).toEqual([
          fn,
          { Ref: "DeploymentPreferenceType" },
          { Ref: hook },
        ]);
        const rollback = (preference?.Alarms ?? []).map((alarm) => (alarm as { Ref?: string }).Ref);
        const own = alarmsOf(template).find(([, props]) =>
          watchedMetrics(props).some(
            (watched) =>
              isNewVersionAlarm(watched) &&
              watched.Namespace === "AWS/Lambda" &&
              watched.MetricName === "Errors" &&
              JSON.stringify(watched.Dimensions).includes(JSON.stringify({ Ref: fn })),
          ),
        );
        expect([fn, own && rollback.includes(own[0])]).toEqual([fn, true]);
        const events = Object.values((properties.Events ?? {}) as Record<string, { Type?: string }>);
        if (events.some((event) => event.Type === "Api")) {
          expect([fn, rollback.some((alarm) => apiAlarms.includes(alarm ?? ""))]).toEqual([fn, true]);
        }
      }
    });

  if (resourcesOfType(template, "AWS::Serverless::Api").length > 0)
    test("every API has an explicit name and alarms on 5XXError for its stage", () => {
      expect.hasAssertions();
      for (const api of resourcesOfType(template, "AWS::Serverless::Api")) {
        const props = (template.Resources[api] as CfnResource).Properties ?? {};
        // Without Name, SAM names the REST API after the stack, and ApiName
        // would differ between a standalone and a nested deploy.
        expect(props.Name).toEqual({ "Fn::Sub": `meridian-\${Environment}-${service.name}` });
        const alarms = alarmsOn(template, "AWS/ApiGateway", "5XXError", "ApiName", props.Name);
        expectOneEventInAMinute(`${api} 5XXError`, alarms);
        expect(alarms[0]?.Dimensions).toContainEqual({ Name: "Stage", Value: props.StageName });
      }
    });

  test("alarms notify the environment's topic, taken from SSM as metadata.yaml says", () => {
    if (alarmsOf(template).length === 0) return;
    const [parameter] =
      Object.entries(service.metadata.parameters).find(([, ssm]) => ssm === ALARM_TOPIC_SSM_NAME) ?? [];
    expect(parameter).toBeDefined();
    expect(template.Parameters?.[parameter ?? ""]?.Type).toBe("AWS::SSM::Parameter::Value<String>");
    expect(service.metadata.dependencies).toContain("ops");
  });
});

describe("custom metrics", () => {
  const byService = new Map(services.map((service) => [service.name, emittedMetrics(service)]));
  const names = (service: string) => (byService.get(service) ?? []).map((metric) => metric.name);

  test("the business metrics are emitted by the services that own them", () => {
    expect(names("auth")).toEqual(
      expect.arrayContaining(["UsersRegistered", "LoginSucceeded", "LoginFailed", "LoginLockedOut"]),
    );
    expect(names("location")).toContain("LocationUpdated");
    expect(names("profile")).toEqual(expect.arrayContaining(["ProfileRead", "LocationLookupDegraded"]));
    for (const service of ["catalog", "auth", "location", "profile"])
      expect(names(service)).toContain("ColdStart");
  });

  test("every template that runs code puts its metrics in Meridian/<env> under its own service name", () => {
    expect.hasAssertions();
    for (const service of services) {
      if (resourcesOfType(service.template, "AWS::Serverless::Function").length === 0) continue;
      expect([service.name, powertoolsSettings(service.template)]).toEqual([
        service.name,
        { namespace: { "Fn::Sub": `Meridian/\${Environment}` }, service: service.name },
      ]);
    }
  });

  test("profile alarms on degraded location lookups with the dimension EMF gives the metric", () => {
    const profile = services.find((service) => service.name === "profile");
    if (!profile) throw new Error("no profile service");
    const [, degraded] =
      alarmsOf(profile.template).find(([, props]) => props.MetricName === "LocationLookupDegraded") ?? [];
    expect(degraded).toMatchObject({
      Namespace: { "Fn::Sub": `Meridian/\${Environment}` },
      Dimensions: [{ Name: "service", Value: "profile" }],
      Statistic: "Sum",
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: { Ref: "LocationDegradedAlarmThreshold" },
      TreatMissingData: "notBreaching",
    });
  });
});

describe("the alarm rules catch the well-known mistakes", () => {
  const auth = services.find((service) => service.name === "auth");
  if (!auth) throw new Error("no auth service");

  /** auth's template with one alarm replaced, so each case breaks exactly one thing. */
  function withAlarm(properties: Record<string, unknown>): Service {
    const base = auth as Service;
    const [[logicalId, original]] = alarmsOf(base.template).filter(
      ([, props]) => props.MetricName === "Errors",
    ) as [[string, Record<string, unknown>]];
    const template: CfnTemplate = {
      ...base.template,
      Resources: {
        ...base.template.Resources,
        [logicalId]: { Type: "AWS::CloudWatch::Alarm", Properties: { ...original, ...properties } },
      },
    };
    return { ...base, template };
  }

  const problemsWith = (properties: Record<string, unknown>): string[] => {
    const service = withAlarm(properties);
    return alarmsOf(service.template).flatMap(([logicalId]) => alarmProblems(service, logicalId));
  };

  test("the unmodified template passes", () => {
    expect(problemsWith({})).toEqual([]);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ["a namespace without AWS/", { Namespace: "Lambda" }, /missing 'AWS\/'/],
    ["a metric the namespace does not have", { MetricName: "Error" }, /has no metric 'Error'/],
    [
      "a dimension the metric does not have",
      { Dimensions: [{ Name: "TableName", Value: { Ref: "UsersTable" } }] },
      /dimension sets/,
    ],
    [
      "one dimension too many",
      {
        Dimensions: [
          { Name: "FunctionName", Value: { Ref: "LoginFunction" } },
          { Name: "Stage", Value: { Ref: "Environment" } },
        ],
      },
      /dimension sets/,
    ],
    [
      "FunctionName pointing at a table",
      { Dimensions: [{ Name: "FunctionName", Value: { Ref: "UsersTable" } }] },
      /FunctionName must be !Ref of an AWS::Serverless::Function/,
    ],
    [
      "FunctionName as a literal",
      { Dimensions: [{ Name: "FunctionName", Value: "LoginFunction" }] },
      /FunctionName must be !Ref/,
    ],
    [
      "TableName pointing at a function",
      {
        Namespace: "AWS/DynamoDB",
        MetricName: "ReadThrottleEvents",
        Dimensions: [{ Name: "TableName", Value: { Ref: "LoginFunction" } }],
      },
      /TableName must be !Ref of an AWS::DynamoDB::Table/,
    ],
    [
      "ApiName that is the logical id rather than the API's name",
      {
        Namespace: "AWS/ApiGateway",
        MetricName: "5XXError",
        Dimensions: [
          { Name: "ApiName", Value: { Ref: "AuthApi" } },
          { Name: "Stage", Value: { Ref: "Environment" } },
        ],
      },
      /ApiName .* is not the Name/,
    ],
    [
      "a Stage that is not the API's stage",
      {
        Namespace: "AWS/ApiGateway",
        MetricName: "5XXError",
        Dimensions: [
          { Name: "ApiName", Value: { "Fn::Sub": `meridian-\${Environment}-auth` } },
          { Name: "Stage", Value: "Prod" },
        ],
      },
      /Stage "Prod" is not the StageName/,
    ],
    [
      "a custom metric nobody emits",
      {
        Namespace: { "Fn::Sub": `Meridian/\${Environment}` },
        MetricName: "LoginsSucceeded",
        Dimensions: [{ Name: "service", Value: "auth" }],
      },
      /not emitted/,
    ],
    [
      "a custom metric under another service's dimension",
      {
        Namespace: { "Fn::Sub": `Meridian/\${Environment}` },
        MetricName: "LoginFailed",
        Dimensions: [{ Name: "service", Value: "profile" }],
      },
      /is not POWERTOOLS_SERVICE_NAME/,
    ],
    [
      "a custom metric without the service dimension EMF gives it",
      { Namespace: { "Fn::Sub": `Meridian/\${Environment}` }, MetricName: "LoginFailed", Dimensions: [] },
      /EMF dimensions \[service\]/,
    ],
    [
      "a custom metric in a namespace the functions do not write to",
      {
        Namespace: { "Fn::Sub": `Meridian-\${Environment}` },
        MetricName: "LoginFailed",
        Dimensions: [{ Name: "service", Value: "auth" }],
      },
      /neither AWS/,
    ],
    ["missing data treated as breaching", { TreatMissingData: "breaching" }, /TreatMissingData/],
    ["no notification", { AlarmActions: undefined }, /AlarmActions must be/],
    [
      "a hard-coded topic",
      { AlarmActions: ["arn:aws:sns:us-east-1:123456789012:x"] },
      /AlarmActions must be/,
    ],
  ])("%s", (_case, properties, expected) => {
    const problems = problemsWith(properties);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join("\n")).toMatch(expected);
  });

  test("the allowed table itself only lists AWS/ namespaces", () => {
    expect.hasAssertions();
    for (const namespace of Object.keys(AWS_METRICS)) expect(namespace).toMatch(/^AWS\//);
  });
});
