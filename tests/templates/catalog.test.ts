import type { CfnResource } from "../../tools/lib/cfn-yaml";
import { withNestedStacks } from "../../tools/lib/nested-stacks";
import { loadServices } from "../../tools/lib/project";

/*
 * The catalog lookup as the discovery design defines it, in the template that is its single
 * source of truth: a non-proxy Lambda integration in CatalogApi's DefinitionBody, selecting its
 * answer on the function's errorMessage; tests/integration/catalog-lookup.test.ts runs it.
 */

const catalog = loadServices()
  .map(withNestedStacks)
  .find((service) => service.name === "catalog");
if (!catalog) throw new Error("no catalog service");
const resources = catalog.template.Resources;
const api = resources.CatalogApi?.Properties as {
  MergeDefinitions?: boolean;
  Auth?: { DefaultAuthorizer?: unknown };
  DefinitionBody: {
    securityDefinitions?: Record<string, Record<string, unknown>>;
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
};
const lookup = api.DefinitionBody.paths["/catalog/{service_name}/{service_version}"]?.get ?? {};
const integration = lookup["x-amazon-apigateway-integration"] as {
  type: string;
  httpMethod: string;
  uri: unknown;
  passthroughBehavior: string;
  requestTemplates: Record<string, string>;
  responses: Record<string, { statusCode: string; responseTemplates?: Record<string, string> }>;
};

test("the lookup is a non-proxy (aws) Lambda integration of GetServiceFunction's live alias", () => {
  expect(integration).toMatchObject({ type: "aws", httpMethod: "POST", passthroughBehavior: "never" });
  expect(integration.uri).toEqual({
    "Fn::Sub": `arn:\${AWS::Partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${GetServiceFunction.Alias}/invocations`,
  });
  expect(Object.keys(integration.requestTemplates)).toEqual(["application/json"]);
  const template = integration.requestTemplates["application/json"] ?? "";
  for (const name of ["service_name", "service_version"])
    expect(template).toContain(`"${name}": "$util.escapeJavaScript($input.params('${name}'))`);
  // The function has no Api event: SAM would add a second, proxy, integration for the same route.
  expect(resources.GetServiceFunction?.Properties?.Events).toBeUndefined();
});

test("integration responses: NotFound -> the legacy 404, BadRequest -> 400, any other error -> a bare 500", () => {
  const { responses } = integration;
  expect(Object.keys(responses).sort()).toEqual(
    ["(?!.*NotFound)(?!BadRequest: ).+", ".*NotFound.*", "BadRequest: .*", "default"].sort(),
  );
  expect(responses.default).toEqual({ statusCode: "200" });
  expect(responses[".*NotFound.*"]).toEqual({
    statusCode: "404",
    responseTemplates: { "application/json": '{"error_message":"Service Not Found"}' },
  });
  expect(responses["BadRequest: .*"]?.statusCode).toBe("400");
  expect(responses["BadRequest: .*"]?.responseTemplates?.["application/json"]).toContain(
    '{"error":{"code":"VALIDATION_ERROR","message":"',
  );
  expect(responses["(?!.*NotFound)(?!BadRequest: ).+"]).toEqual({
    statusCode: "500",
    responseTemplates: {
      "application/json": '{"error":{"code":"INTERNAL_ERROR","message":"Internal server error"}}',
    },
  });
  // API Gateway maps an integration response only to a method response the operation declares.
  const declared = Object.keys(lookup.responses as object).sort();
  expect(declared).toEqual(
    [...new Set(Object.values(responses).map((response) => response.statusCode))].sort(),
  );
});

test("authorization is as before: the lookup public, register and deregister SigV4 and merged in", () => {
  expect(lookup.security).toBeUndefined();
  expect(api.Auth?.DefaultAuthorizer).toBeUndefined();
  // Without MergeDefinitions SAM leaves the functions' Api events out of a DefinitionBody.
  expect(api.MergeDefinitions).toBe(true);
  // ...and merges their paths only, so the scheme they name is declared here.
  expect(api.DefinitionBody.securityDefinitions?.AWS_IAM).toMatchObject({
    "x-amazon-apigateway-authtype": "awsSigv4",
  });
  for (const fn of ["RegisterServiceFunction", "DeregisterServiceFunction"]) {
    const events = Object.values(resources[fn]?.Properties?.Events as Record<string, CfnResource>);
    expect(events.map((event) => event.Properties?.Auth)).toEqual([
      { Authorizer: "AWS_IAM", InvokeRole: "NONE" },
    ]);
  }
});

test("API Gateway may invoke the alias, from this API's lookup route only", () => {
  expect(resources.GetServiceFunctionApiPermission).toEqual({
    Type: "AWS::Lambda::Permission",
    Properties: {
      Action: "lambda:InvokeFunction",
      FunctionName: { Ref: "GetServiceFunction.Alias" },
      Principal: "apigateway.amazonaws.com",
      SourceArn: {
        "Fn::Sub": `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${CatalogApi}/*/GET/catalog/*/*`,
      },
    },
  });
});

test("the lookup's Errors alarms do not count misses and malformed names (LookupRefused) as failures", () => {
  expect.hasAssertions();
  for (const alarm of ["GetServiceFunctionErrorsAlarm", "GetServiceFunctionNewVersionErrorsAlarm"]) {
    const metrics = resources[alarm]?.Properties?.Metrics as Array<{
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: Array<{ Name: string; Value: unknown }> } };
    }>;
    const byId = new Map(metrics.map((query) => [query.Id, query]));
    expect([alarm, metrics.find((query) => query.Expression)?.Expression]).toEqual([
      alarm,
      "errors - FILL(refused, 0)",
    ]);
    expect(byId.get("errors")?.MetricStat?.Metric.MetricName).toBe("Errors");
    expect(byId.get("refused")?.MetricStat?.Metric.MetricName).toBe("LookupRefused");
    // The rollback alarm subtracts the new version's refusals only, as it counts its errors only.
    const version = (id: string) =>
      byId.get(id)?.MetricStat?.Metric.Dimensions.find((dimension) => dimension.Name === "ExecutedVersion")
        ?.Value;
    expect(version("refused")).toEqual(version("errors"));
  }
});
