import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { Handler } from "../../../support/proxy-event";

/**
 * What a function writes, as CloudWatch Logs would receive it. Powertools'
 * Logger and Metrics write through their own Console on process.stdout and
 * process.stderr (outside POWERTOOLS_DEV), so the streams are what is
 * captured; the global console too, in case anything bypasses Powertools.
 */
export interface CapturedOutput {
  /** Every chunk written, in order. */
  chunks(): string[];
  /** Every line that parses as a JSON object. */
  records(): Array<Record<string, unknown>>;
  /** The EMF documents among them (the ones with `_aws`). */
  emf(): Emf[];
  /** Log records (JSON lines that are not EMF). */
  logs(): Array<Record<string, unknown>>;
  clear(): void;
}

export interface Emf {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** Call in beforeEach; jest.restoreAllMocks in afterEach undoes it. */
export function captureOutput(): CapturedOutput {
  let chunks: string[] = [];
  const record = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    return true;
  };
  jest.spyOn(process.stdout, "write").mockImplementation(record);
  jest.spyOn(process.stderr, "write").mockImplementation(record);
  for (const method of ["log", "info", "debug", "warn", "error", "trace"] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      chunks.push(`${args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ")}\n`);
    });
  }
  const records = (): Array<Record<string, unknown>> =>
    chunks
      .join("")
      .split("\n")
      .flatMap((line) => {
        if (!line.trim().startsWith("{")) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    chunks: () => [...chunks],
    records,
    emf: () => records().filter((entry): entry is Emf => "_aws" in entry),
    logs: () => records().filter((entry) => !("_aws" in entry)),
    clear: () => {
      chunks = [];
    },
  };
}

/** A metric's published values across EMF documents, with the document that carried each. */
export function metricValues(documents: Emf[], name: string): Array<{ value: unknown; document: Emf }> {
  return documents.flatMap((document) =>
    document._aws.CloudWatchMetrics.some((group) => group.Metrics.some((metric) => metric.Name === name))
      ? [{ value: document[name], document }]
      : [],
  );
}

/**
 * The environment a deployed function gets from its template's Globals,
 * without POWERTOOLS_DEV: output goes where it goes in Lambda, to stdout.
 */
export function functionEnvironment(service: string, extra: Record<string, string> = {}): void {
  delete process.env.POWERTOOLS_DEV;
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: service,
    POWERTOOLS_METRICS_NAMESPACE: "Meridian/test",
    POWERTOOLS_LOG_LEVEL: "DEBUG",
    POWERTOOLS_METRICS_DISABLED: "false",
    // Lambda sets this; Powertools reports a cold start only for on-demand environments.
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret-access-key-for-tests",
    ...extra,
  });
}

/**
 * Loads handlers in a fresh module registry, as a new execution environment
 * would: wiring and Powertools read their configuration at module scope, and
 * the cold-start flag lives in the registry's Metrics instance.
 */
export function loadIsolated<T>(service: string, env: Record<string, string>, load: () => T): T {
  functionEnvironment(service, env);
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = load();
  });
  if (loaded === undefined) throw new Error(`${service} handlers did not load`);
  return loaded;
}

type Authorizer = (
  event: APIGatewayTokenAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

/**
 * Auth's functions in one fresh registry, as in one execution environment:
 * the lock-out policy comes from SSM and the signing key from Secrets
 * Manager; the users table answers only what the test sets on `ddb`.
 */
export function loadAuth(options: { maxAttempts: number; signingKey: string }) {
  return loadIsolated(
    "auth",
    {
      USERS_TABLE_NAME: "users-test",
      TOKEN_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf",
      TOKEN_TTL_SECONDS: "900",
      LOCKOUT_POLICY_PARAMETER: "/meridian/test/auth/lockout/policy",
      LOCKOUT_POLICY_MAX_AGE_SECONDS: "60",
    },
    () => {
      const lib = require("@aws-sdk/lib-dynamodb") as typeof import("@aws-sdk/lib-dynamodb");
      const ssm = require("@aws-sdk/client-ssm") as typeof import("@aws-sdk/client-ssm");
      const secrets =
        require("@aws-sdk/client-secrets-manager") as typeof import("@aws-sdk/client-secrets-manager");
      const { ScryptPasswordHasher } =
        require("../../../../src/auth/domain/password-hasher") as typeof import("../../../../src/auth/domain/password-hasher");
      mockClient(ssm.SSMClient)
        .on(ssm.GetParameterCommand)
        .resolves({
          Parameter: { Value: JSON.stringify({ maxAttempts: options.maxAttempts, windowSeconds: 900 }) },
        });
      const secretsMock = mockClient(secrets.SecretsManagerClient);
      secretsMock.on(secrets.GetSecretValueCommand).resolves({ SecretString: options.signingKey });
      const ddb = mockClient(lib.DynamoDBDocumentClient);
      const { addressKey } =
        require("../../../../src/auth/domain/lockout") as typeof import("../../../../src/auth/domain/lockout");
      return {
        lib,
        ddb,
        /**
         * The users table as login reads it (one BatchGetItem): these items, and a
         * guard for `lockedOut` that keeps the test's address (192.0.2.1) out.
         */
        answerLogins(items: Array<Record<string, unknown>>, lockedOut: string) {
          const now = Math.floor(Date.now() / 1000);
          const locked = {
            pk: `LOGINFAIL#${lockedOut}`,
            loginGuard: {
              version: options.maxAttempts,
              failures: options.maxAttempts,
              lastFailureAt: now - 5,
              nextAttemptAt: 0,
              addresses: {
                [addressKey(lockedOut, "192.0.2.1")]: { failures: options.maxAttempts, since: now - 10 },
              },
              known: {},
            },
          };
          ddb
            .on(lib.BatchGetCommand)
            .callsFake((input: { RequestItems: Record<string, { Keys: Array<{ pk: string }> }> }) => {
              const keys = new Set(Object.values(input.RequestItems)[0]?.Keys.map((key) => key.pk));
              return {
                Responses: { "users-test": [...items, locked].filter((item) => keys.has(String(item.pk))) },
              };
            });
          ddb.on(lib.UpdateCommand).resolves({});
        },
        hasher: new ScryptPasswordHasher({ log2Cost: 4 }),
        register: require("../../../../src/auth/handlers/register").handler as Handler,
        login: require("../../../../src/auth/handlers/login").handler as Handler,
        authorizer: require("../../../../src/auth/handlers/authorizer").handler as Authorizer,
        /** From now on the key cannot be read, as when the function's role lost access to it. */
        failSecretReads: () => {
          secretsMock.reset();
          secretsMock.on(secrets.GetSecretValueCommand).rejects(new Error("AccessDeniedException"));
        },
      };
    },
  );
}
