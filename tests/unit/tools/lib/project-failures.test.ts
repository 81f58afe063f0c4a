import { join } from "node:path";
import { generateConfigurations, loadProject } from "../../../../tools/lib/configurations";
import { loadEnvironments } from "../../../../tools/lib/project";

/**
 * Each broken fixture tree under tests/fixtures/project fails with a message
 * that names the file, the key and what was expected.
 */
const FIXTURES = join(__dirname, "..", "..", "..", "fixtures", "project");
const F = "tests/fixtures/project";

function generate(tree: string, environments = "environments/dev-only.yaml"): void {
  const project = loadProject({
    srcDir: join(FIXTURES, tree, "src"),
    environmentsPath: join(FIXTURES, environments),
  });
  generateConfigurations(project);
}

function messageOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

describe("template configuration failures", () => {
  test("a parameter the template does not declare", () => {
    expect(messageOf(() => generate("base", "environments/undeclared-parameter.yaml"))).toBe(
      `${F}/environments/undeclared-parameter.yaml: environments.dev.parameters.LogFormat: parameter 'LogFormat' is not declared by ${F}/base/src/auth/template.yaml (it declares: Environment, LogLevel, TokenTtlSeconds)`,
    );
  });

  test("a declared parameter without a default that nothing provides", () => {
    expect(messageOf(() => generate("unprovided-parameter"))).toBe(
      `${F}/unprovided-parameter/src/auth/template.yaml: parameter(s) AlarmEmail have no Default and nothing provides them for environment 'dev' (add them to ${F}/environments/dev-only.yaml or ${F}/unprovided-parameter/src/auth/metadata.yaml)`,
    );
  });

  test("a value outside the template's AllowedValues", () => {
    expect(messageOf(() => generate("base", "environments/disallowed-value.yaml"))).toBe(
      `${F}/environments/disallowed-value.yaml: environments.dev.parameters.LogLevel: 'TRACE' is not one of the AllowedValues in ${F}/base/src/auth/template.yaml: DEBUG, INFO`,
    );
  });

  test("a number below the template's MinValue", () => {
    expect(messageOf(() => generate("base", "environments/below-minimum.yaml"))).toBe(
      `${F}/environments/below-minimum.yaml: environments.dev.services.auth.TokenTtlSeconds: 5 is below MinValue 60 in ${F}/base/src/auth/template.yaml`,
    );
  });

  test("per-service parameters for a service that does not exist", () => {
    expect(messageOf(() => generate("base", "environments/unknown-service.yaml"))).toBe(
      `${F}/environments/unknown-service.yaml: environments.dev.services.billing: unknown service 'billing' (services: auth, location, profile)`,
    );
  });
});

describe("dependency graph failures", () => {
  test("a dependency on an unknown service", () => {
    expect(messageOf(() => generate("unknown-dependency"))).toBe(
      `${F}/unknown-dependency/src/location/metadata.yaml: dependencies: unknown service 'billing' (services: auth, location)`,
    );
  });

  test("a cycle, named in order", () => {
    const message = messageOf(() => generate("cycle"));
    expect(message).toMatch(/^Dependency cycle: auth -> profile -> location -> auth /);
    expect(message).toContain(`${F}/cycle/src/profile/metadata.yaml`);
  });
});

describe("SSM contract failures", () => {
  test("consuming another service's name without depending on it", () => {
    expect(messageOf(() => generate("missing-dependency"))).toBe(
      `${F}/missing-dependency/src/location/metadata.yaml: parameters.AuthorizerFunctionArn: consumes '/meridian/{Environment}/auth/authorizer/arn' but dependencies does not list 'auth'; add it so auth deploys first`,
    );
  });

  test("consuming a name the owner does not publish", () => {
    expect(messageOf(() => generate("unpublished"))).toBe(
      `${F}/unpublished/src/location/metadata.yaml: parameters.SigningKey: '/meridian/{Environment}/auth/signing/key' is not published by ${F}/unpublished/src/auth/template.yaml (it publishes: /meridian/{Environment}/auth/authorizer/arn, /meridian/{Environment}/auth/api/url)`,
    );
  });

  test("a template reading a Meridian SSM name that metadata.yaml does not list", () => {
    expect(messageOf(() => generate("unlisted-ssm"))).toBe(
      `${F}/unlisted-ssm/src/location/template.yaml: Parameters.AuthorizerFunctionArn reads '/meridian/dev/auth/authorizer/arn' but ${F}/unlisted-ssm/src/location/metadata.yaml does not list it under parameters, so every environment would use that name`,
    );
  });

  test("a consumed name taken as a plain String parameter", () => {
    expect(messageOf(() => generate("wrong-ssm-type"))).toMatch(
      /wrong-ssm-type\/src\/location\/template\.yaml: Parameters\.AuthorizerFunctionArn: expected Type AWS::SSM::Parameter::Value<String> .* got String$/,
    );
  });
});

describe("schema failures name the file, the key and what was expected", () => {
  test("malformed metadata.yaml: every problem, one per line", () => {
    const file = `${F}/malformed-metadata/src/location/metadata.yaml`;
    expect(messageOf(() => generate("malformed-metadata")).split("\n")).toEqual([
      `${file}: name: missing; expected a service name (string)`,
      `${file}: dependencies: expected a list of service names, e.g. [auth], got 'auth'`,
      `${file}: parameters.AuthorizerFunctionArn: expected an SSM name of the form /meridian/{Environment}/{service}/{name}/{type}, got '/meridian/dev/auth/authorizer/arn'`,
      `${file}: parameters.location-url: bad key; expected a CloudFormation parameter name (letters and digits)`,
      `${file}: owner: unknown key; expected one of name, dependencies, parameters`,
    ]);
  });

  test("a metadata name that is not its directory's", () => {
    expect(messageOf(() => generate("name-mismatch"))).toBe(
      `${F}/name-mismatch/src/auth/metadata.yaml: name: expected 'auth' (the directory's name), got 'authn'`,
    );
  });

  test("metadata.yaml that is not YAML", () => {
    expect(messageOf(() => generate("invalid-yaml"))).toMatch(
      new RegExp(`^${F}/invalid-yaml/src/auth/metadata\\.yaml: not valid YAML: .*line 3`),
    );
  });

  test("malformed environments.yaml", () => {
    const file = `${F}/environments/malformed.yaml`;
    expect(
      messageOf(() => loadEnvironments(join(FIXTURES, "environments", "malformed.yaml"))).split("\n"),
    ).toEqual([
      `${file}: environments.dev.region: expected an AWS region such as us-east-1, got 'us-east'`,
      `${file}: environments.dev.parameters.LogLevel: expected a string, number or boolean, got a list`,
      `${file}: environments.dev.flags.requireApproval: expected true or false, got 'yes'`,
      `${file}: environments.dev.params: unknown key; expected one of region, parameters, services, tags, flags`,
    ]);
  });

  test("an Environment tag that contradicts the environment", () => {
    expect(messageOf(() => loadEnvironments(join(FIXTURES, "environments", "tag-mismatch.yaml")))).toBe(
      `${F}/environments/tag-mismatch.yaml: environments.staging.tags.Environment: expected 'staging' (the environment's name), got 'dev'`,
    );
  });

  test("a missing environments file", () => {
    expect(messageOf(() => loadEnvironments(join(FIXTURES, "environments", "nope.yaml")))).toBe(
      `${F}/environments/nope.yaml: file not found`,
    );
  });
});
