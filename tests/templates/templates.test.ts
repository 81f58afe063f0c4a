import { existsSync } from "node:fs";
import { join } from "node:path";
import { type CfnResource, type CfnTemplate, loadTemplate, samProperties } from "../../tools/lib/cfn-yaml";
import { listFunctions } from "../../tools/lib/functions";
import { withNestedStacks } from "../../tools/lib/nested-stacks";
import { deployOrder, loadServices, ROOT, type Service } from "../../tools/lib/project";
import { PSEUDO_PARAMETERS, type Reference, references } from "../support/cfn-references";

const rawServices = loadServices();
// Each service with the stacks it nests written in: what it deploys (tools/lib/nested-stacks.ts).
const services = rawServices.map(withNestedStacks);
/** Refs, GetAtts and Subs; which conditions a template uses is not checked here. */
function valueReferences(value: unknown): Reference[] {
  return references(value).filter((ref) => ref.kind !== "Condition");
}

function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** A service as it is written, without its nested stacks written in. */
function rawService(name: string): Service {
  const service = rawServices.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`no service ${name}`);
  return service;
}

/**
 * The log group a function's LoggingConfig names: by `!Ref`, or by name when the
 * group is in a nested stack that also watches the function (a reference would be a cycle).
 */
function logGroupOf(template: CfnTemplate, loggingConfig: unknown): [string, CfnResource] | undefined {
  const named = (loggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
  const ref = (named as { Ref?: string } | undefined)?.Ref;
  return resourcesOfType(template, "AWS::Logs::LogGroup").find(
    ([logicalId, group]) =>
      logicalId === ref || JSON.stringify(group.Properties?.LogGroupName) === JSON.stringify(named),
  );
}

function environmentOf(properties: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return (properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
}

describe.each(
  services.map((service) => [service.name, service] as [string, Service]),
)("%s template", (name, service) => {
  const template = service.template;
  // ops holds only environment-wide resources (alarm topic, dashboard): no
  // code, table or API. The expectations below apply to what a service has.
  const hasApi = resourcesOfType(template, "AWS::Serverless::Api").length > 0;
  // web's only function publishes its site at deploy time: no table, registrar or API.
  const runsCode = hasApi && resourcesOfType(template, "AWS::Serverless::Function").length > 0;
  const hasTable = resourcesOfType(template, "AWS::DynamoDB::Table").length > 0;

  test("every Ref, GetAtt and Sub names a parameter, resource or pseudo parameter", () => {
    const declared = new Set([...Object.keys(template.Parameters ?? {}), ...Object.keys(template.Resources)]);
    const unresolved = valueReferences({
      Resources: template.Resources,
      Outputs: template.Outputs,
      Globals: template.Globals,
    })
      .filter((ref) => !declared.has(ref.name) && !PSEUDO_PARAMETERS.has(ref.name))
      // SAM generates these for an Api resource with a stage.
      .filter((ref) => !/Stage$|Deployment$/.test(ref.name))
      // ...and a function's published version and alias (AutoPublishAlias): `!Ref Fn.Alias`, `!GetAtt Fn.Version.Version`.
      .filter((ref) => {
        const [base, part] = ref.name.split(".");
        const resource = template.Resources[base ?? ""];
        const aliased =
          resource?.Type === "AWS::Serverless::Function" &&
          (resource.Properties?.AutoPublishAlias ?? template.Globals?.Function?.AutoPublishAlias) !==
            undefined;
        return !(aliased && (part === "Alias" || part === "Version"));
      });
    expect(unresolved).toEqual([]);
  });

  test("declares the shared parameters every environment provides", () => {
    expect.hasAssertions();
    for (const parameter of [
      "Environment",
      "LogLevel",
      "LogRetentionDays",
      "TableBillingMode",
      "TableReadCapacity",
      "TableWriteCapacity",
    ]) {
      expect(template.Parameters).toHaveProperty(parameter);
    }
  });

  test("consumes other services only through SSM parameter types listed in metadata.yaml", () => {
    const ssmParameters = Object.entries(template.Parameters ?? {})
      .filter(([, parameter]) => parameter.Type.startsWith("AWS::SSM::Parameter::Value"))
      .map(([parameter]) => parameter)
      .sort();
    expect(ssmParameters).toEqual(Object.keys(service.metadata.parameters).sort());
  });

  test("every function has a sample event for npm run invoke", () => {
    // npm run invoke names a nested function by its id in its own template (PreTrafficHookFunction).
    const withoutEvent = listFunctions(rawService(name))
      .map((fn) => fn.logicalId)
      .filter((logicalId) => !existsSync(join(ROOT, "events", `${logicalId}.json`)));
    expect(withoutEvent).toEqual([]);
  });

  test("an API or a table has functions to serve or use it", () => {
    expect(listFunctions(rawService(name)).length > 0 || !(hasApi || hasTable)).toBe(true);
  });

  // Tests over one kind of resource exist only where the template has one: a vacuous test
  // would pass with nothing checked.
  if (listFunctions(rawService(name)).length > 0)
    test("every function entry point exists and matches its handler", () => {
      expect.hasAssertions();
      const functions = listFunctions(rawService(name));
      for (const fn of functions) {
        expect(existsSync(fn.entryPoint)).toBe(true);
        expect(fn.buildOptions.external).toEqual(["@aws-sdk/*"]);
        // Without the ESM entry points, @smithy/signature-v4's CJS build pulls the whole of
        // @smithy/core into the bundle (a registrar grows from 84 to 209 KiB).
        expect(fn.buildOptions.mainFields).toEqual(["module", "main"]);
      }
    });

  if (resourcesOfType(template, "AWS::Serverless::Function").length > 0)
    test("functions run nodejs22.x on arm64 with a log group that has retention", () => {
      expect.hasAssertions();
      for (const [logicalId] of resourcesOfType(template, "AWS::Serverless::Function")) {
        const props = samProperties(template, logicalId);
        expect([logicalId, props.Runtime]).toEqual([logicalId, "nodejs22.x"]);
        expect([logicalId, props.Architectures]).toEqual([logicalId, ["arm64"]]);
        const [, logGroup] = logGroupOf(template, props.LoggingConfig) ?? [];
        expect([logicalId, logGroup?.Type]).toEqual([logicalId, "AWS::Logs::LogGroup"]);
        expect(logGroup?.Properties?.RetentionInDays).toEqual({ Ref: "LogRetentionDays" });
      }
    });

  test("functions log JSON through Powertools at the environment's level, each to its own log group", () => {
    const functions = resourcesOfType(template, "AWS::Serverless::Function");
    if (functions.length === 0) return;
    // Nested ones (the registrar's, the hook's) set the same themselves: Globals are per template.
    const own = functions.filter(([, resource]) => resource.Metadata?.NestedStack === undefined);
    const globals = (template.Globals?.Function ?? {}) as {
      Environment?: { Variables?: Record<string, unknown> };
      LoggingConfig?: Record<string, unknown>;
    };
    for (const [logicalId] of functions) {
      expect([logicalId, environmentOf(samProperties(template, logicalId))]).toMatchObject([
        logicalId,
        {
          POWERTOOLS_SERVICE_NAME: name,
          POWERTOOLS_METRICS_NAMESPACE: { "Fn::Sub": `Meridian/\${Environment}` },
          POWERTOOLS_LOG_LEVEL: { Ref: "LogLevel" },
        },
      ]);
    }
    // Lambda's own filter (INFO when unset) would otherwise drop DEBUG lines in dev: set once, for all.
    if (own.length > 0)
      expect(globals.LoggingConfig).toMatchObject({ ApplicationLogLevel: { Ref: "LogLevel" } });
    const logGroups = new Set<string>();
    for (const [logicalId, resource] of functions) {
      // As SAM merges it: LogFormat may be shared in Globals, the log group is the function's own.
      const logging = samProperties(template, logicalId).LoggingConfig as {
        LogFormat?: string;
        ApplicationLogLevel?: unknown;
      };
      expect([logicalId, logging.LogFormat]).toEqual([logicalId, "JSON"]);
      expect([logicalId, logging.ApplicationLogLevel]).toEqual([logicalId, { Ref: "LogLevel" }]);
      expect([logicalId, resource.Properties?.LoggingConfig]).toMatchObject([logicalId, { LogGroup: {} }]);
      const [groupId, group] = logGroupOf(template, logging) ?? [];
      expect(JSON.stringify(group?.Properties?.LogGroupName)).toContain(`/meridian/\${Environment}/${name}/`);
      logGroups.add(groupId ?? "");
      // One service name per template: alarms and the dashboard key custom metrics on it.
      if (resource.Metadata?.NestedStack === undefined)
        expect([logicalId, environmentOf(resource.Properties)?.POWERTOOLS_SERVICE_NAME]).toEqual([
          logicalId,
          undefined,
        ]);
    }
    expect(logGroups.size).toBe(functions.length);
  });

  test("tables keep user data: Retain on delete and replace, encryption, point-in-time recovery", () => {
    const tables = resourcesOfType(template, "AWS::DynamoDB::Table");
    expect(tables).toHaveLength(runsCode ? 1 : 0);
    for (const [, table] of tables) {
      expect(table.DeletionPolicy).toBe("Retain");
      expect(table.UpdateReplacePolicy).toBe("Retain");
      expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
      expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
      // The parameter's value, or the same through the condition on it (what templates under
      // AWS::LanguageExtensions write: see docs/conventions.md).
      const billing = table.Properties?.BillingMode as { "Fn::If"?: [string, unknown, unknown] };
      if (billing["Fn::If"]) {
        const [condition, whenTrue, whenFalse] = billing["Fn::If"];
        expect(template.Conditions?.[condition]).toEqual({
          "Fn::Equals": [{ Ref: "TableBillingMode" }, "PROVISIONED"],
        });
        expect([whenTrue, whenFalse]).toEqual(["PROVISIONED", "PAY_PER_REQUEST"]);
      } else {
        expect(billing).toEqual({ Ref: "TableBillingMode" });
      }
    }
  });

  test("publishes its api url, api arn and table name (those it has) under its own SSM path", () => {
    expect.hasAssertions();
    const names = resourcesOfType(template, "AWS::SSM::Parameter").map(([, p]) => p.Properties?.Name);
    const suffixes = [...(hasApi ? ["api/url", "api/arn"] : []), ...(hasTable ? ["table/name"] : [])];
    for (const suffix of suffixes) {
      expect(names).toContainEqual({ "Fn::Sub": `/meridian/\${Environment}/${name}/${suffix}` });
    }
    for (const parameterName of names) {
      expect(JSON.stringify(parameterName)).toContain(`/meridian/\${Environment}/${name}/`);
    }
  });

  test("its registrar checks every other function, the API and the stage the API deploys", () => {
    const registrars = resourcesOfType(template, "AWS::Serverless::Function").filter(([, resource]) =>
      JSON.stringify(resource.Metadata?.BuildProperties).includes("src/registrar/handler.ts"),
    );
    expect(registrars).toHaveLength(runsCode ? 1 : 0);
    const [registrarId, registrar] = registrars[0] ?? [];
    if (!registrar) return;
    const variables = (registrar?.Properties?.Environment as { Variables?: Record<string, unknown> })
      ?.Variables;
    const checked = valueReferences(variables?.FUNCTION_NAMES).map((ref) => ref.name);
    const others = resourcesOfType(template, "AWS::Serverless::Function")
      .map(([logicalId]) => logicalId)
      .filter((logicalId) => logicalId !== registrarId);
    expect(checked.sort()).toEqual(others.sort());
    const apis = resourcesOfType(template, "AWS::Serverless::Api");
    expect(apis).toHaveLength(1);
    const [apiId, api] = apis[0] ?? [];
    expect(variables?.REST_API_ID).toEqual({ Ref: apiId });
    expect(variables?.REST_API_STAGE).toEqual(api?.Properties?.StageName);
    // The catalog admits a service's registration only from the function its pattern names.
    const catalog = services.find((candidate) => candidate.name === "catalog")?.template;
    const patterns = resourcesOfType(catalog ?? { Resources: {} }, "AWS::Serverless::Function")
      .map(
        ([, fn]) =>
          (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
            ?.REGISTRAR_FUNCTION_NAME,
      )
      .filter((pattern): pattern is { "Fn::Sub": string } => pattern !== undefined);
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) {
      expect(registrar.Properties?.FunctionName).toEqual({
        "Fn::Sub": pattern["Fn::Sub"].replace("{service}", name),
      });
    }
  });

  if (resourcesOfType(template, "AWS::Serverless::Function").length > 0)
    test("IAM policies name only this service's own resources (and the one API it calls)", () => {
      expect.hasAssertions();
      const own = new Set(Object.keys(template.Resources));
      const consumed = new Set(Object.keys(service.metadata.parameters));
      for (const [logicalId, resource] of resourcesOfType(template, "AWS::Serverless::Function")) {
        const policies = (resource.Properties?.Policies ?? []) as Array<{
          Statement?: Array<Record<string, unknown>>;
        }>;
        for (const policy of policies) {
          expect(typeof policy).toBe("object");
          for (const statement of policy.Statement ?? []) {
            const actions = ([] as unknown[]).concat(statement.Action);
            expect(actions.every((action) => typeof action === "string" && !action.includes("*"))).toBe(true);
            for (const target of ([] as unknown[]).concat(statement.Resource)) {
              expect([logicalId, target]).not.toEqual([logicalId, "*"]);
              const refs = valueReferences(target);
              expect(refs.length).toBeGreaterThan(0);
              for (const ref of refs) {
                const allowed =
                  own.has(ref.name) ||
                  PSEUDO_PARAMETERS.has(ref.name) ||
                  ref.name === "Environment" ||
                  (consumed.has(ref.name) && ref.name.endsWith("ApiArn"));
                expect([logicalId, ref.name, allowed]).toEqual([logicalId, ref.name, true]);
              }
              const text = JSON.stringify(target);
              if (text.includes(":parameter/")) expect(text).toContain(`/meridian/\${Environment}/${name}/`);
            }
          }
        }
      }
    });
});

describe("root template", () => {
  const root = loadTemplate(join(ROOT, "template.yaml"));
  const applications = resourcesOfType(root, "AWS::Serverless::Application");

  test("nests every service in dependency order", () => {
    const order = deployOrder(services).map((service) => service.name);
    const nested = applications.map(([, resource]) => String(resource.Properties?.Location));
    expect(nested).toEqual(order.map((service) => `src/${service}/template.yaml`));
  });

  test("each nested stack depends on the stacks of its service dependencies", () => {
    expect.hasAssertions();
    const logicalIdOf = new Map(
      applications.map(([logicalId, resource]) => [
        String(resource.Properties?.Location).split("/")[1],
        logicalId,
      ]),
    );
    for (const service of services) {
      const resource = root.Resources[logicalIdOf.get(service.name) ?? ""];
      const dependsOn = ([] as string[]).concat(resource?.DependsOn ?? []);
      expect(dependsOn.sort()).toEqual(service.metadata.dependencies.map((d) => logicalIdOf.get(d)).sort());
    }
  });

  test("passes every parameter a nested template needs and nothing it does not declare", () => {
    expect.hasAssertions();
    for (const [, resource] of applications) {
      const location = String(resource.Properties?.Location);
      const nested = loadTemplate(join(ROOT, location));
      const passed = Object.keys((resource.Properties?.Parameters ?? {}) as object);
      for (const parameter of passed)
        expect([location, parameter, parameter in (nested.Parameters ?? {})]).toEqual([
          location,
          parameter,
          true,
        ]);
      const required = Object.entries(nested.Parameters ?? {})
        .filter(([, p]) => p.Default === undefined)
        .map(([p]) => p);
      for (const parameter of required) expect(passed).toContain(parameter);
    }
  });
});
