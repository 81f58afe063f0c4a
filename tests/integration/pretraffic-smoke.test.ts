import {
  BatchGetDeploymentTargetsCommand,
  type CodeDeployClient,
  ListDeploymentTargetsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from "@aws-sdk/client-codedeploy";
import { GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { LocalFunctionInfo } from "@meridian/local-stack";
import { AwsHookPorts } from "../../src/pretraffic/adapters/aws-hook-ports";
import { createPreTrafficHook, type HookOutcome } from "../../src/pretraffic/domain/hook";
import { parseSmokeRequests, type SmokeKind } from "../../src/pretraffic/domain/smoke";
import { SRC } from "../../tools/lib/project";
import { releaseTestStack, sharedTestStack, startTestStack, type TestStack } from "../support/local-stack";
import { copyServices, type ServiceCopy } from "../support/service-copy";

/*
 * Each service's pre-traffic hook, run as CodeDeploy would run it for every
 * function it guards: the hook's own code and Lambda adapter, signed with the
 * hook function's credentials, invoke each function's version on the local
 * stack with the smoke request. Only CodeDeploy is a stand-in (there is none
 * locally): it names the target version and records the verdict. On the
 * functions as they are, every verdict is Succeeded; on a copy whose login
 * function cannot start, the hook reports Failed for that one.
 */

jest.setTimeout(120_000);

/** The one CodeDeploy deployment the hook is told about: a function's new version, and the verdict it gets. */
function fakeCodeDeploy(functionName: string, targetVersion: string, reports: string[]): CodeDeployClient {
  const send = async (command: unknown) => {
    if (command instanceof ListDeploymentTargetsCommand) return { targetIds: [functionName] };
    if (command instanceof BatchGetDeploymentTargetsCommand) {
      return {
        deploymentTargets: [{ lambdaTarget: { lambdaFunctionInfo: { functionName, targetVersion } } }],
      };
    }
    if (command instanceof PutLifecycleEventHookExecutionStatusCommand) {
      reports.push(String(command.input.status));
      return {};
    }
    throw new Error(`unexpected CodeDeploy call ${String(command)}`);
  };
  return { send } as unknown as CodeDeployClient;
}

interface HookRun {
  functionName: string;
  kind: SmokeKind;
  outcome: HookOutcome;
  reported: string[];
}

/** What the hook function was deployed with: its SMOKE_REQUESTS, read as the operator (the hook may only invoke). */
async function smokeRequests(stack: TestStack, hook: LocalFunctionInfo): Promise<Map<string, SmokeKind>> {
  const operator = new LambdaClient({
    endpoint: stack.awsEndpoint,
    region: stack.region,
    credentials: stack.credentials,
  });
  try {
    const { Configuration } = await operator.send(
      new GetFunctionCommand({ FunctionName: hook.functionName }),
    );
    return parseSmokeRequests(Configuration?.Environment?.Variables?.SMOKE_REQUESTS ?? "");
  } finally {
    operator.destroy();
  }
}

/** The hook of `service`, once per function its SMOKE_REQUESTS guards, invoking as the hook's own role. */
async function runHooks(stack: TestStack, service: string): Promise<HookRun[]> {
  const hook = stack.functions[`${service}/PreTrafficHookFunction`] as LocalFunctionInfo;
  const kinds = await smokeRequests(stack, hook);
  const lambda = new LambdaClient({
    endpoint: stack.awsEndpoint,
    region: stack.region,
    credentials: hook.credentials,
  });
  try {
    const runs: HookRun[] = [];
    for (const [functionName, kind] of kinds) {
      const reported: string[] = [];
      const ports = new AwsHookPorts(fakeCodeDeploy(functionName, "2", reported), lambda);
      const outcome = await createPreTrafficHook({ ports, kinds }).run("d-LOCAL0001", `exec-${functionName}`);
      runs.push({ functionName, kind, outcome, reported });
    }
    return runs;
  } finally {
    lambda.destroy();
  }
}

/** How a healthy version refuses each kind of smoke request: a clean 4xx, never a success that wrote something. */
const HEALTHY_DETAIL: Record<SmokeKind, RegExp> = {
  api: /^answered 4\d\d$/,
  authorizer: /Unauthorized/,
  schedule: /without error/,
  "non-proxy": /BadRequest/,
};

const HOOKED_SERVICES = ["auth", "catalog", "location", "profile", "comments"];

describe("a good version", () => {
  let stack: TestStack;

  // The worker's shared stack: smoke requests write nothing, and the registrar runs only re-register
  // services as runSchedules does in the other files sharing it.
  beforeAll(async () => {
    stack = await sharedTestStack();
  }, 120_000);

  afterAll(() => releaseTestStack(stack));

  test("every service has a hook, and it guards every function of its service", () => {
    for (const service of HOOKED_SERVICES) {
      expect(stack.functions[`${service}/PreTrafficHookFunction`]).toBeDefined();
    }
  });

  test.each(
    HOOKED_SERVICES,
  )("%s: every smoke request succeeds, and the hook reports Succeeded", async (service) => {
    const runs = await runHooks(stack, service);
    const guarded = Object.values(stack.functions)
      .filter((info) => info.service === service && info.logicalId !== "PreTrafficHookFunction")
      .map((info) => info.functionName)
      .sort();
    expect(runs.map((run) => run.functionName).sort()).toEqual(guarded);
    expect(
      runs.map(({ functionName, outcome, reported }) => ({
        functionName,
        healthy: outcome.healthy,
        reported,
      })),
    ).toEqual(runs.map(({ functionName }) => ({ functionName, healthy: true, reported: ["Succeeded"] })));
    for (const run of runs) {
      expect(run.outcome.detail).toMatch(HEALTHY_DETAIL[run.kind]);
    }
  });
});

describe("a broken version", () => {
  let copy: ServiceCopy;
  let stack: TestStack;

  beforeAll(async () => {
    // A configuration its cold start rejects: the version cannot serve a single login.
    copy = copyServices(SRC, {
      auth: (template) => {
        const properties = template.Resources.LoginFunction?.Properties as {
          Environment?: { Variables?: Record<string, unknown> };
        };
        properties.Environment = {
          Variables: { ...properties.Environment?.Variables, TOKEN_TTL_SECONDS: "not a number" },
        };
      },
    });
    stack = await startTestStack({ srcDir: copy.srcDir, services: ["auth"] });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    copy?.remove();
  });

  test("fails the hook for that function alone: CodeDeploy is told Failed and shifts no traffic", async () => {
    const runs = await runHooks(stack, "auth");
    const login = stack.functions["auth/LoginFunction"]?.functionName;
    const verdicts = Object.fromEntries(runs.map((run) => [run.functionName, run.reported]));
    expect(verdicts).toEqual(
      Object.fromEntries(
        runs.map((run) => [run.functionName, run.functionName === login ? ["Failed"] : ["Succeeded"]]),
      ),
    );
    const failed = runs.find((run) => run.functionName === login);
    expect(failed?.outcome).toMatchObject({ healthy: false, version: "2" });
    expect(failed?.outcome.detail).toMatch(/^(threw: .*TOKEN_TTL_SECONDS|answered 5\d\d)/);
  });
});
