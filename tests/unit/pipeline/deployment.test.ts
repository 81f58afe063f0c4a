import { advanceDeployment, type DeploymentState, startDeployment } from "../../../src/pipeline/deployment";
import type { StackTarget } from "../../../src/pipeline/stack-deployer";
import { describeFailure, runDeployment } from "../../../tools/lib/stack-runner";
import { FakeCloudFormation, resourceChange } from "../../support/fake-cloudformation";

const SERVICES = ["auth", "location", "profile"];
const targetFor = (service: string): StackTarget => ({
  stackName: `meridian-dev-${service}`,
  templateBody: "{}",
  parameters: { Environment: "dev" },
  tags: { Service: service },
  changeSetName: `cs-${service}`,
});

let cfn: FakeCloudFormation;
beforeEach(() => {
  cfn = new FakeCloudFormation();
});
afterEach(() => cfn.restore());

/** CloudFormation doing its work between two rounds; `fail` makes that stack's create fail. */
function progress(fail?: string): void {
  cfn.changeSetReady();
  for (const stack of cfn.stacks) {
    if (stack.deleted) continue;
    const service = stack.name.replace("meridian-dev-", "");
    if (stack.status === "CREATE_IN_PROGRESS" && service === fail) {
      cfn.emit(stack.name, "Table", "CREATE_FAILED", "Invalid KeySchema");
      cfn.setStatus(stack.name, "ROLLBACK_COMPLETE");
    } else if (stack.status === "CREATE_IN_PROGRESS") {
      cfn.emit(stack.name, "Table", "CREATE_COMPLETE");
      cfn.setStatus(stack.name, "CREATE_COMPLETE");
    } else if (stack.status === "UPDATE_IN_PROGRESS") {
      cfn.setStatus(stack.name, "UPDATE_COMPLETE");
    } else if (stack.status === "DELETE_IN_PROGRESS") {
      cfn.setStatus(stack.name, "DELETE_COMPLETE");
    }
  }
}

async function drive(state: DeploymentState, fail?: string): Promise<DeploymentState> {
  let current = state;
  for (let rounds = 0; rounds < 100; rounds++) {
    const round = await advanceDeployment(cfn.client, targetFor, current);
    current = round.deployment;
    if (round.status !== "in-progress") return current;
    progress(fail);
  }
  throw new Error("deployment did not finish");
}

describe("deploying several services", () => {
  test("one stack at a time, in the given order, each finished before the next starts", async () => {
    const final = await drive(startDeployment(SERVICES));
    expect(final.outcomes).toEqual([
      { service: "auth", outcome: "created" },
      { service: "location", outcome: "created" },
      { service: "profile", outcome: "created" },
    ]);
    const creates = cfn.calls
      .filter((call) => call.startsWith("CreateChangeSet"))
      .map((call) => call.split(" ")[1]);
    expect(creates).toEqual(["meridian-dev-auth", "meridian-dev-location", "meridian-dev-profile"]);
    // location's change set is created only after auth's stack was seen complete.
    const authDone = cfn.calls.lastIndexOf(`DescribeStacks ${cfn.stack("meridian-dev-auth").id}`);
    expect(cfn.calls.indexOf("CreateChangeSet meridian-dev-location")).toBeGreaterThan(authDone);
  });

  test("a second run with nothing changed is all no-ops", async () => {
    await drive(startDeployment(SERVICES));
    const changed = () => cfn.changeSetFailed("The submitted information didn't contain changes.");
    let state = startDeployment(SERVICES);
    for (let i = 0; i < 20 && state.current < SERVICES.length; i++) {
      const secondRun = (service: string) => ({ ...targetFor(service), changeSetName: `second-${service}` });
      state = (await advanceDeployment(cfn.client, secondRun, state)).deployment;
      changed();
    }
    expect(state.outcomes.map((entry) => entry.outcome)).toEqual(["unchanged", "unchanged", "unchanged"]);
  });

  test("a failed service stops the deployment: later services are not touched", async () => {
    const final = await drive(startDeployment(SERVICES), "location");
    expect(final.outcomes).toEqual([{ service: "auth", outcome: "created" }]);
    expect(final.failure).toMatchObject({
      service: "location",
      logicalId: "Table",
      reason: "Invalid KeySchema",
    });
    expect(cfn.calls.some((call) => call.includes("meridian-dev-profile"))).toBe(false);
    expect(describeFailure(final)).toBe(
      "location: Table (AWS::DynamoDB::Table) CREATE_FAILED: Invalid KeySchema",
    );
    // Advancing a failed deployment does nothing more.
    const calls = cfn.calls.length;
    const again = await advanceDeployment(cfn.client, targetFor, final);
    expect(again.status).toBe("failed");
    expect(cfn.calls.length).toBe(calls);
  });

  test("teardown deletes in the order given (reverse dependency order)", async () => {
    await drive(startDeployment(SERVICES));
    const final = await drive(startDeployment([...SERVICES].reverse(), "delete"));
    expect(final.outcomes).toEqual([
      { service: "profile", outcome: "deleted" },
      { service: "location", outcome: "deleted" },
      { service: "auth", outcome: "deleted" },
    ]);
    const deletes = cfn.calls
      .filter((call) => call.startsWith("DeleteStack"))
      .map((call) => call.split("/")[1]);
    expect(deletes).toEqual(["meridian-dev-profile", "meridian-dev-location", "meridian-dev-auth"]);
  });
});

describe("runDeployment (the CLI loop)", () => {
  test("prints each service, its new stack events and its outcome", async () => {
    const lines: string[] = [];
    // The fake world moves on whenever the loop would sleep.
    const originalSend = cfn.client.send.bind(cfn.client);
    let sends = 0;
    jest.spyOn(cfn.client, "send").mockImplementation(((command: never) => {
      sends += 1;
      if (sends % 3 === 0) progress();
      return originalSend(command);
    }) as never);
    const final = await runDeployment(cfn.client, targetFor, startDeployment(["auth", "location"]), {
      pollMs: 0,
      log: (line) => lines.push(line),
    });
    expect(final.outcomes.map((entry) => entry.outcome)).toEqual(["created", "created"]);
    const text = lines.join("\n");
    expect(text).toContain("Deploying auth (meridian-dev-auth) [1/2]");
    expect(text).toContain("Deploying location (meridian-dev-location) [2/2]");
    expect(text).toMatch(/auth\s+CREATE_COMPLETE\s+Table \(AWS::DynamoDB::Table\)/);
    expect(text).toContain("auth: created");
    expect(text).toContain("location: created");
  });

  test("a preview prints each service's changes, flags replacements, and executes nothing", async () => {
    cfn.addStack("meridian-dev-auth", "UPDATE_COMPLETE");
    cfn.changes.set("meridian-dev-auth", [
      resourceChange("Modify", "UsersTable", "AWS::DynamoDB::Table", "True"),
    ]);
    const lines: string[] = [];
    const originalSend = cfn.client.send.bind(cfn.client);
    jest.spyOn(cfn.client, "send").mockImplementation(((command: never) => {
      cfn.changeSetReady();
      return originalSend(command);
    }) as never);
    const final = await runDeployment(
      cfn.client,
      (service) => ({ ...targetFor(service), previewOnly: true }),
      startDeployment(["auth", "location"]),
      { pollMs: 0, log: (line) => lines.push(line) },
    );
    expect(final.outcomes).toEqual([
      { service: "auth", outcome: "previewed", changes: 1, replacements: ["UsersTable"] },
      { service: "location", outcome: "previewed", changes: 1 },
    ]);
    const text = lines.join("\n");
    expect(text).toMatch(/Modify\s+UsersTable \(AWS::DynamoDB::Table\)\s+REPLACEMENT: True/);
    expect(text).toMatch(/Add\s+UsersTable \(AWS::DynamoDB::Table\)$/m);
    expect(cfn.calls.some((call) => call.startsWith("ExecuteChangeSet"))).toBe(false);
    expect(cfn.changeSets).toHaveLength(0);
    // The location stack its CREATE change set made is being removed again.
    expect(cfn.stacks.find((stack) => stack.name === "meridian-dev-location")?.status).toMatch(/^DELETE_/);
  });
});
