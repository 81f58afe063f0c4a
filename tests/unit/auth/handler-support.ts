/** Environment every auth handler test sets before it loads a handler module. */
export function setAuthEnvironment(): void {
  Object.assign(process.env, {
    AWS_REGION: "eu-west-1",
    USERS_TABLE_NAME: "auth-users-test",
    TOKEN_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-key-AbCdEf",
    TOKEN_TTL_SECONDS: "900",
    LOCKOUT_POLICY_PARAMETER: "/meridian/test/auth/lockout/policy",
    LOCKOUT_POLICY_MAX_AGE_SECONDS: "60",
    TOKEN_SIGNING_KEY_MAX_AGE_SECONDS: "300",
    POWERTOOLS_SERVICE_NAME: "auth",
    POWERTOOLS_METRICS_NAMESPACE: "Meridian/test",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    // Dev mode sends EMF through the global console, where tests can read it.
    POWERTOOLS_DEV: "true",
    POWERTOOLS_METRICS_DISABLED: "false",
  });
}

/** Captures EMF output; call in beforeEach. Returns the metric names published so far. */
export function captureMetrics(): () => string[] {
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  jest.spyOn(console, "warn").mockImplementation(() => undefined);
  return () =>
    log.mock.calls.flatMap(([line]) => {
      if (typeof line !== "string" || !line.includes("_aws")) return [];
      const emf = JSON.parse(line) as {
        _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> };
      };
      return emf._aws.CloudWatchMetrics.flatMap((group) => group.Metrics.map((metric) => metric.Name));
    });
}

export function parseBody(
  body: string,
): { error?: { code: string; message: string } } & Record<string, unknown> {
  return JSON.parse(body);
}
