import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CfnTemplate, loadTemplate, parseCfnYaml } from "../../../../tools/lib/cfn-yaml";
import { loadProject, type Project } from "../../../../tools/lib/configurations";
import type { Environment } from "../../../../tools/lib/project";
import {
  checkRootTemplate,
  ROOT_TEMPLATE_FILE,
  renderSamconfig,
  rootParameters,
  SAMCONFIG_FILE,
} from "../../../../tools/lib/samconfig";

const FIXTURES = join(__dirname, "..", "..", "..", "fixtures", "project");

/** The few TOML shapes samconfig.toml uses: [a.b.c] tables and key = "string" | true | false | number. */
function parseToml(text: string): Record<string, Record<string, string | boolean | number>> {
  const tables: Record<string, Record<string, string | boolean | number>> = { "": {} };
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header?.[1]) {
      current = header[1];
      tables[current] = {};
      continue;
    }
    const entry = /^([a-z0-9_]+) = (.*)$/.exec(line);
    if (!entry?.[1] || entry[2] === undefined) throw new Error(`unexpected TOML line: ${line}`);
    const value = entry[2];
    const table = tables[current] ?? {};
    if (value === "true" || value === "false") table[entry[1]] = value === "true";
    else if (value.startsWith('"')) table[entry[1]] = JSON.parse(value) as string;
    else table[entry[1]] = Number(value);
  }
  return tables;
}

/** SAM's `Key="value" Key2="value2"` pairs. */
function pairs(text: unknown): Record<string, string> {
  return Object.fromEntries(
    [...String(text).matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]),
  );
}

describe("samconfig.toml", () => {
  const project = loadProject();
  const rendered = renderSamconfig(project);

  test("the committed file is exactly what environments.yaml generates (npm run configs -- --samconfig)", () => {
    expect(readFileSync(SAMCONFIG_FILE, "utf8")).toBe(rendered);
  });

  test("one deploy and one build table per AWS environment, none for local", () => {
    const tables = parseToml(rendered);
    expect(tables[""]).toEqual({ version: 0.1 });
    const aws = [...project.environments.keys()].filter((name) => name !== "local");
    expect(Object.keys(tables).filter(Boolean).sort()).toEqual(
      aws.flatMap((name) => [`${name}.build.parameters`, `${name}.deploy.parameters`]).sort(),
    );
    for (const name of aws) {
      expect(tables[`${name}.build.parameters`]).toEqual({ cached: true, parallel: true });
    }
  });

  test.each(["dev", "staging", "prod"])("%s deploy parameters agree with environments.yaml", (name) => {
    const environment = project.environments.get(name) as Environment;
    const deploy = parseToml(rendered)[`${name}.deploy.parameters`] ?? {};
    expect(deploy).toMatchObject({
      stack_name: `meridian-${name}`,
      region: environment.region,
      capabilities: "CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND",
      resolve_s3: true,
      confirm_changeset: environment.flags.requireApproval,
    });
    const overrides = pairs(deploy.parameter_overrides);
    expect(overrides).toMatchObject({ Environment: name, ...environment.parameters });
    for (const values of Object.values(environment.services)) expect(overrides).toMatchObject(values);
    expect(pairs(deploy.tags)).toEqual({ ...environment.tags, Environment: name });
  });

  test("prod asks for confirmation and runs provisioned tables", () => {
    const prod = parseToml(rendered)["prod.deploy.parameters"] ?? {};
    expect(prod.confirm_changeset).toBe(true);
    expect(pairs(prod.parameter_overrides)).toMatchObject({
      TableBillingMode: "PROVISIONED",
      TokenTtlSeconds: "1800",
    });
    expect(parseToml(rendered)["dev.deploy.parameters"]?.confirm_changeset).toBe(false);
  });

  test("the root template takes every parameter samconfig passes and nests every service", () => {
    expect(() => checkRootTemplate(loadTemplate(ROOT_TEMPLATE_FILE), project)).not.toThrow();
  });
});

describe("root template checks (fixture services)", () => {
  const project: Project = loadProject({
    srcDir: join(FIXTURES, "base", "src"),
    environmentsPath: join(FIXTURES, "base", "environments.yaml"),
  });
  const root = (yaml: string) => parseCfnYaml(yaml) as CfnTemplate;
  const goodRoot = `
Parameters:
  Environment: {Type: String, AllowedValues: [dev, prod]}
  LogLevel: {Type: String}
  TokenTtlSeconds: {Type: Number, Default: 3600}
Resources:
  Auth:
    Type: AWS::Serverless::Application
    Properties:
      Location: tests/fixtures/project/base/src/auth/template.yaml
      Parameters: {Environment: !Ref Environment, LogLevel: !Ref LogLevel, TokenTtlSeconds: !Ref TokenTtlSeconds}
  Location:
    Type: AWS::Serverless::Application
    DependsOn: Auth
    Properties:
      Location: tests/fixtures/project/base/src/location/template.yaml
      Parameters:
        Environment: !Ref Environment
        LogLevel: !Ref LogLevel
        AuthorizerFunctionArn: !Sub /meridian/\${Environment}/auth/authorizer/arn
  Profile:
    Type: AWS::Serverless::Application
    DependsOn: [Auth, Location]
    Properties:
      Location: tests/fixtures/project/base/src/profile/template.yaml
      Parameters:
        Environment: !Ref Environment
        LogLevel: !Ref LogLevel
        AuthorizerFunctionArn: !Sub /meridian/\${Environment}/auth/authorizer/arn
        LocationApiUrl: !Sub /meridian/\${Environment}/location/api/url
`;

  test("a consistent root passes", () => {
    expect(() => checkRootTemplate(root(goodRoot), project)).not.toThrow();
  });

  test("a parameter samconfig passes that the root does not declare", () => {
    expect(() =>
      checkRootTemplate(
        root(goodRoot.replace("  TokenTtlSeconds: {Type: Number, Default: 3600}\n", "")),
        project,
      ),
    ).toThrow(
      "tests/fixtures/project/base/environments.yaml: environments.dev: TokenTtlSeconds: samconfig.toml passes 'TokenTtlSeconds' but template.yaml does not declare it",
    );
  });

  test("a service the root does not nest", () => {
    const withoutProfile = goodRoot.slice(0, goodRoot.indexOf("  Profile:"));
    expect(() => checkRootTemplate(root(withoutProfile), project)).toThrow(
      "template.yaml: no AWS::Serverless::Application with Location tests/fixtures/project/base/src/profile/template.yaml (service 'profile')",
    );
  });

  test("a nested stack not given a consumed SSM name, or given the wrong one", () => {
    expect(() =>
      checkRootTemplate(
        root(
          goodRoot.replace(`        LocationApiUrl: !Sub /meridian/\${Environment}/location/api/url\n`, ""),
        ),
        project,
      ),
    ).toThrow("template.yaml: Profile.Properties.Parameters: does not pass 'LocationApiUrl'");
    expect(() =>
      checkRootTemplate(root(goodRoot.replace("location/api/url", "location/api/arn")), project),
    ).toThrow(
      `template.yaml: Profile.Properties.Parameters.LocationApiUrl: expected !Sub /meridian/\${Environment}/location/api/url`,
    );
  });

  test("a nested stack not ordered after its dependencies", () => {
    expect(() =>
      checkRootTemplate(root(goodRoot.replace("DependsOn: [Auth, Location]", "DependsOn: Auth")), project),
    ).toThrow(
      "template.yaml: Profile.DependsOn: expected to include Location (profile depends on location, whose SSM names it resolves)",
    );
  });

  test("two services wanting different values under one root parameter name", () => {
    const environment: Environment = {
      name: "dev",
      region: "us-east-1",
      parameters: {},
      services: { auth: { Timeout: "10" }, profile: { Timeout: "20" } },
      tags: {},
      flags: { requireApproval: false },
    };
    expect(() => rootParameters(environment)).toThrow(
      "environments.yaml: environments.dev.services.profile.Timeout: '20' differs from environments.dev.services.auth.Timeout ('10'); the root template has one 'Timeout'",
    );
  });
});
