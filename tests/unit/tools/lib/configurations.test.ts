import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  configurationPath,
  generateConfigurations,
  loadProject,
  selectServices,
  writeConfigurations,
} from "../../../../tools/lib/configurations";
import {
  deployOrder,
  loadEnvironment,
  loadServices,
  stackName,
  teardownOrder,
  templateConfiguration,
} from "../../../../tools/lib/project";
import { publishedNames } from "../../../../tools/lib/ssm-contract";

const FIXTURES = join(__dirname, "..", "..", "..", "fixtures", "project");

describe("the repository's own services and environments", () => {
  const project = loadProject();
  const generated = generateConfigurations(project);
  const find = (environment: string, service: string) => {
    const entry = generated.find((item) => item.environment === environment && item.service === service);
    if (!entry) throw new Error(`no configuration for ${service} in ${environment}`);
    return entry.configuration;
  };

  test("orders dependencies first and reverses for teardown", () => {
    const order = project.services.map((service) => service.name);
    for (const service of project.services) {
      for (const dependency of service.metadata.dependencies) {
        expect(order.indexOf(dependency)).toBeLessThan(order.indexOf(service.name));
      }
    }
    expect(order.indexOf("auth")).toBeLessThan(order.indexOf("location"));
    expect(order.indexOf("location")).toBeLessThan(order.indexOf("profile"));
    expect(teardownOrder(project.services).map((service) => service.name)).toEqual([...order].reverse());
  });

  test("one configuration per service and environment", () => {
    expect(generated).toHaveLength(project.services.length * project.environments.size);
  });

  test.each([...loadProject().environments.keys()])("%s: every value comes from its source", (name) => {
    expect.hasAssertions();
    const environment = project.environments.get(name);
    if (!environment) throw new Error(name);
    for (const service of project.services) {
      const { Parameters, Tags } = find(name, service.name);
      expect(Parameters.Environment).toBe(name);
      for (const [key, value] of Object.entries(environment.parameters)) expect(Parameters[key]).toBe(value);
      for (const [key, value] of Object.entries(environment.services[service.name] ?? {})) {
        expect(Parameters[key]).toBe(value);
      }
      for (const [key, ssmName] of Object.entries(service.metadata.parameters)) {
        expect(Parameters[key]).toBe(ssmName.replace("{Environment}", name));
        expect(Parameters[key]).toMatch(new RegExp(`^/meridian/${name}/`));
      }
      expect(Tags).toMatchObject({ Environment: name, Service: service.name, Project: "meridian" });
      // Only parameters the template declares, never a stray one CloudFormation would reject.
      for (const key of Object.keys(Parameters))
        expect(service.template.Parameters ?? {}).toHaveProperty(key);
    }
  });

  test("concrete values per environment", () => {
    expect(find("prod", "auth").Parameters).toMatchObject({
      TableBillingMode: "PROVISIONED",
      TableReadCapacity: "10",
      TableWriteCapacity: "5",
      TokenTtlSeconds: "1800",
      LogRetentionDays: "365",
    });
    expect(find("dev", "auth").Parameters).toMatchObject({
      TableBillingMode: "PAY_PER_REQUEST",
      LogLevel: "DEBUG",
    });
    expect(find("staging", "profile").Parameters).toMatchObject({
      LocationApiUrl: "/meridian/staging/location/api/url",
      LocationApiArn: "/meridian/staging/location/api/arn",
      AuthorizerFunctionArn: "/meridian/staging/auth/authorizer/arn",
    });
    expect(find("prod", "location").Parameters.AuthorizerFunctionArn).toBe(
      "/meridian/prod/auth/authorizer/arn",
    );
    // Per-service parameters go to their own service only.
    expect(find("prod", "location").Parameters).not.toHaveProperty("TokenTtlSeconds");
  });

  test("the local stack's entry points still work (environment `local`)", () => {
    const services = deployOrder(loadServices());
    const local = loadEnvironment("local");
    const auth = services.find((service) => service.name === "auth");
    if (!auth) throw new Error("no auth");
    const configuration = templateConfiguration(auth, local);
    expect(configuration.Parameters).toMatchObject({
      Environment: "local",
      LogLevel: "DEBUG",
      LogRetentionDays: "1",
    });
    expect(configuration.Tags).toMatchObject({ Environment: "local", Service: "auth" });
    expect(stackName("local", "auth")).toBe("meridian-local-auth");
  });

  test("the SSM names other services consume are published", () => {
    const auth = project.services.find((service) => service.name === "auth");
    if (!auth) throw new Error("no auth");
    expect(publishedNames(auth).map((entry) => entry.ssmName)).toContain(
      "/meridian/{Environment}/auth/authorizer/arn",
    );
  });
});

describe("fixture tree", () => {
  const project = loadProject({
    srcDir: join(FIXTURES, "base", "src"),
    environmentsPath: join(FIXTURES, "base", "environments.yaml"),
  });

  test("loads only directories with a template and metadata, in deploy order", () => {
    expect(project.services.map((service) => service.name)).toEqual(["auth", "location", "profile"]);
  });

  test("writes <out>/<env>/<service>.json in CodePipeline's format", () => {
    const out = mkdtempSync(join(tmpdir(), "meridian-configs-"));
    try {
      const written = writeConfigurations(generateConfigurations(project, ["prod"]), out);
      expect(written).toEqual(
        ["auth", "location", "profile"].map((service) => configurationPath(out, "prod", service)),
      );
      const profile = JSON.parse(readFileSync(configurationPath(out, "prod", "profile"), "utf8"));
      expect(profile).toEqual({
        Parameters: {
          Environment: "prod",
          LogLevel: "INFO",
          AuthorizerFunctionArn: "/meridian/prod/auth/authorizer/arn",
          LocationApiUrl: "/meridian/prod/location/api/url",
        },
        Tags: { Project: "meridian", Environment: "prod", Service: "profile" },
      });
      const auth = JSON.parse(readFileSync(configurationPath(out, "prod", "auth"), "utf8"));
      expect(auth.Parameters).toEqual({ Environment: "prod", LogLevel: "INFO", TokenTtlSeconds: "1800" });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("the Environment tag is the environment's name even when environments.yaml omits it", () => {
    const [auth] = generateConfigurations(project, ["dev"]);
    expect(auth?.configuration.Tags).toEqual({ Project: "meridian", Environment: "dev", Service: "auth" });
  });

  test("an unknown environment is named with the ones that exist", () => {
    expect(() => generateConfigurations(project, ["qa"])).toThrow(
      "Unknown environment 'qa'; tests/fixtures/project/base/environments.yaml has: dev, prod",
    );
  });

  test("selectServices keeps deploy order and rejects unknown names", () => {
    expect(selectServices(project.services, ["profile", "auth"]).map((service) => service.name)).toEqual([
      "auth",
      "profile",
    ]);
    expect(selectServices(project.services, []).map((service) => service.name)).toEqual([
      "auth",
      "location",
      "profile",
    ]);
    expect(() => selectServices(project.services, ["billing"])).toThrow(
      "unknown service(s) billing (services: auth, location, profile)",
    );
  });
});
