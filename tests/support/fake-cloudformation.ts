import {
  type Change,
  CloudFormationClient,
  CreateChangeSetCommand,
  type CreateChangeSetCommandInput,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type ResourceStatus,
  type StackEvent,
} from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";

/**
 * A small in-memory CloudFormation behind aws-sdk-client-mock: stacks with a
 * status and an event log, change sets with a status, and the log of API
 * calls. It moves on in one of two ways:
 *
 * - by hand (the default): a change set stays CREATE_PENDING until
 *   `changeSetReady` or `changeSetFailed`, a stack stays *_IN_PROGRESS until
 *   `setStatus`, and resource events appear only through `emit`, so a test
 *   can stop the world between any two rounds of the step function;
 * - on its own (`changeSetDelay` / `stackDelay` set to a count): after that
 *   many Describe calls a change set completes (or fails for `unchanged`
 *   stacks) and a stack operation completes (or fails as `failures` says),
 *   as the pipeline's deployer meets CloudFormation across invocations.
 */

export interface InjectedFailure {
  logicalId: string;
  resourceType: string;
  reason: string;
}

export interface FakeStack {
  id: string;
  name: string;
  status: string;
  reason?: string;
  deleted: boolean;
  events: StackEvent[];
  /** DescribeStacks calls that still answer *_IN_PROGRESS before the operation finishes on its own. */
  pendingDescribes: number;
  operation?: "CREATE" | "UPDATE" | "DELETE";
  failure?: InjectedFailure;
}

export interface FakeChangeSet {
  name: string;
  stackId: string;
  kind: "CREATE" | "UPDATE";
  status: string;
  reason?: string;
  execution: string;
  /** DescribeChangeSet calls that still answer CREATE_PENDING before it completes on its own. */
  pendingDescribes: number;
  input: CreateChangeSetCommandInput;
}

export interface FakeCloudFormationOptions {
  /** Default: never, the test calls `changeSetReady` or `changeSetFailed`. */
  changeSetDelay?: number;
  /** Default: never, the test calls `setStatus`. */
  stackDelay?: number;
}

const STACK_TYPE = "AWS::CloudFormation::Stack";
const NO_CHANGES =
  "The submitted information didn't contain changes. Submit different information to create a change set.";

function awsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** One resource change as DescribeChangeSet lists it. */
export function resourceChange(
  action: "Add" | "Modify" | "Remove",
  logicalId: string,
  resourceType: string,
  replacement?: "True" | "False" | "Conditional",
): Change {
  return {
    Type: "Resource",
    ResourceChange: {
      Action: action,
      LogicalResourceId: logicalId,
      ResourceType: resourceType,
      ...(replacement ? { Replacement: replacement } : {}),
    },
  };
}

export class FakeCloudFormation {
  readonly client = new CloudFormationClient({ region: "us-east-1" });
  readonly mock = mockClient(this.client);
  /** Deleted stacks stay, as CloudFormation still describes them by id. */
  readonly stacks: FakeStack[] = [];
  readonly changeSets: FakeChangeSet[] = [];
  /** Every call in order: `Command stackName`. */
  readonly calls: string[] = [];
  /** Stack names whose change sets have no changes (when change sets complete on their own). */
  readonly unchanged = new Set<string>();
  /** Stack names whose next execution fails on a resource (when stacks complete on their own). */
  readonly failures = new Map<string, InjectedFailure>();
  /** DescribeStackEvents page size, small so paging is exercised. */
  pageSize = 4;
  /** Resource changes a ready change set lists, per stack name (default: one Add of UsersTable). */
  readonly changes = new Map<string, Change[]>();
  /** Nested stacks' change sets by id (what a root change set's nested-stack change names in ChangeSetId). */
  readonly nestedChangeSets = new Map<string, Change[]>();
  /** DescribeChangeSet's page size for Changes. */
  changePageSize = 100;
  changeSetDelay: number;
  stackDelay: number;
  private eventCounter = 0;
  private stackCounter = 0;

  constructor(options: FakeCloudFormationOptions = {}) {
    this.changeSetDelay = options.changeSetDelay ?? Number.POSITIVE_INFINITY;
    this.stackDelay = options.stackDelay ?? Number.POSITIVE_INFINITY;
    const mock = this.mock;
    mock
      .on(DescribeStacksCommand)
      .callsFake((input: { StackName?: string }) => this.describeStacks(input.StackName ?? ""));
    mock.on(DescribeStackEventsCommand).callsFake((input: { StackName?: string; NextToken?: string }) => {
      const name = input.StackName ?? "";
      this.record("DescribeStackEvents", name);
      const stack = this.find(name);
      if (!stack) throw awsError("ValidationError", `Stack [${name}] does not exist`);
      const newestFirst = [...stack.events].reverse();
      const start = Number(input.NextToken ?? 0);
      const page = newestFirst.slice(start, start + this.pageSize);
      const next = start + this.pageSize < newestFirst.length ? String(start + this.pageSize) : undefined;
      return { StackEvents: page, NextToken: next };
    });
    mock
      .on(CreateChangeSetCommand)
      .callsFake((input: CreateChangeSetCommandInput) => this.createChangeSet(input));
    mock
      .on(DescribeChangeSetCommand)
      .callsFake((input: { ChangeSetName?: string; StackName?: string; NextToken?: string }) =>
        this.describeChangeSet(input.StackName ?? "", input.ChangeSetName ?? "", input.NextToken),
      );
    mock
      .on(ExecuteChangeSetCommand)
      .callsFake((input: { ChangeSetName?: string; StackName?: string }) =>
        this.executeChangeSet(input.StackName ?? "", input.ChangeSetName ?? ""),
      );
    mock.on(DeleteChangeSetCommand).callsFake((input: { ChangeSetName?: string; StackName?: string }) => {
      this.record("DeleteChangeSet", input.StackName ?? "");
      const stack = this.find(input.StackName ?? "");
      const index = this.changeSets.findIndex(
        (changeSet) => changeSet.name === input.ChangeSetName && changeSet.stackId === stack?.id,
      );
      if (index >= 0) this.changeSets.splice(index, 1);
      return {};
    });
    mock.on(DeleteStackCommand).callsFake((input: { StackName?: string }) => {
      this.record("DeleteStack", input.StackName ?? "");
      const stack = this.find(input.StackName ?? "");
      if (!stack) return {};
      // A stack's change sets go with it.
      for (let index = this.changeSets.length - 1; index >= 0; index--) {
        if (this.changeSets[index]?.stackId === stack.id) this.changeSets.splice(index, 1);
      }
      stack.operation = "DELETE";
      stack.pendingDescribes = this.stackDelay;
      this.transition(stack, "DELETE_IN_PROGRESS", "User Initiated");
      return {};
    });
  }

  restore(): void {
    this.mock.restore();
  }

  /** A stack that already exists in `status`, e.g. from an earlier run. */
  addStack(name: string, status: string, pendingDescribes = this.stackDelay): FakeStack {
    this.stackCounter += 1;
    const stack: FakeStack = {
      id: `arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/${this.stackCounter}`,
      name,
      status,
      deleted: false,
      events: [],
      pendingDescribes,
      ...(status.startsWith("UPDATE") ? { operation: "UPDATE" as const } : {}),
      ...(status.startsWith("CREATE") ? { operation: "CREATE" as const } : {}),
    };
    this.stacks.push(stack);
    this.emit(name, name, status, undefined, STACK_TYPE);
    return stack;
  }

  /** The live stack of that name. */
  stack(name: string): FakeStack {
    const stack = this.find(name);
    if (!stack) throw new Error(`no live stack ${name}`);
    return stack;
  }

  /** Logs a resource event on the newest stack of that name. */
  emit(
    stackName: string,
    logicalId: string,
    status: string,
    reason?: string,
    type = "AWS::DynamoDB::Table",
    /** For a nested stack's event in its parent: the nested stack's id. */
    physicalId?: string,
  ): void {
    const stack = this.newest(stackName);
    this.eventCounter += 1;
    stack.events.push({
      StackId: stack.id,
      StackName: stack.name,
      EventId: `event-${this.eventCounter}`,
      LogicalResourceId: logicalId,
      PhysicalResourceId: physicalId ?? (type === STACK_TYPE ? stack.id : `${logicalId}-physical`),
      ResourceType: type,
      ResourceStatus: status as ResourceStatus,
      ResourceStatusReason: reason,
      Timestamp: new Date(Date.UTC(2025, 0, 1, 12, 0, this.eventCounter)),
    });
  }

  /** Sets the stack's status and logs the matching stack event, as CloudFormation does. */
  setStatus(stackName: string, status: string, reason?: string): void {
    this.transition(this.newest(stackName), status, reason);
  }

  changeSetReady(): void {
    for (const changeSet of this.changeSets) {
      if (changeSet.status === "CREATE_PENDING" || changeSet.status === "CREATE_IN_PROGRESS") {
        changeSet.status = "CREATE_COMPLETE";
        changeSet.execution = "AVAILABLE";
      }
    }
  }

  changeSetFailed(reason: string): void {
    for (const changeSet of this.changeSets) {
      if (changeSet.status === "CREATE_PENDING") {
        changeSet.status = "FAILED";
        changeSet.reason = reason;
      }
    }
  }

  /** Calls made since `from` (an index into `calls`). */
  callsSince(from: number): string[] {
    return this.calls.slice(from);
  }

  /** The inputs of every call of one command, e.g. `CreateChangeSetCommand`, in order. */
  inputs(command: string): Array<Record<string, unknown>> {
    return this.mock
      .calls()
      .filter((call) => (call.args[0] as { constructor: { name: string } }).constructor.name === command)
      .map((call) => (call.args[0] as unknown as { input: Record<string, unknown> }).input);
  }

  private record(command: string, stack: string): void {
    this.calls.push(`${command} ${stack}`);
  }

  /** By name only the live stack answers; by id a deleted one still does, as in CloudFormation. */
  private find(nameOrId: string): FakeStack | undefined {
    const byId = this.stacks.find((stack) => stack.id === nameOrId);
    if (byId) return byId;
    return this.stacks.find((stack) => stack.name === nameOrId && !stack.deleted);
  }

  private newest(stackName: string): FakeStack {
    const stack = this.stacks.filter((candidate) => candidate.name === stackName).at(-1);
    if (!stack) throw new Error(`no stack ${stackName}`);
    return stack;
  }

  private transition(stack: FakeStack, status: string, reason?: string): void {
    stack.status = status;
    stack.reason = reason;
    if (status === "DELETE_COMPLETE") stack.deleted = true;
    this.emit(stack.name, stack.name, status, reason, STACK_TYPE);
  }

  private describeStacks(nameOrId: string) {
    this.record("DescribeStacks", nameOrId);
    const stack = this.find(nameOrId);
    if (!stack) throw awsError("ValidationError", `Stack with id ${nameOrId} does not exist`);
    if (stack.status.endsWith("_IN_PROGRESS") && stack.status !== "REVIEW_IN_PROGRESS") {
      if (stack.pendingDescribes > 0) stack.pendingDescribes--;
      else this.finish(stack);
    }
    return {
      Stacks: [
        {
          StackId: stack.id,
          StackName: stack.name,
          StackStatus: stack.status,
          StackStatusReason: stack.reason,
          CreationTime: new Date(),
        },
      ],
    };
  }

  /** The stack's operation ends on its own: complete, or failed and rolled back as `failures` says. */
  private finish(stack: FakeStack): void {
    if (stack.operation === "DELETE") {
      this.transition(stack, "DELETE_COMPLETE");
      return;
    }
    const verb = stack.operation === "CREATE" ? "CREATE" : "UPDATE";
    const failure = stack.failure;
    if (!failure) {
      this.transition(stack, `${verb}_COMPLETE`);
      return;
    }
    stack.failure = undefined;
    this.emit(stack.name, failure.logicalId, `${verb}_FAILED`, failure.reason, failure.resourceType);
    this.emit(
      stack.name,
      "OtherResource",
      `${verb}_FAILED`,
      "Resource creation cancelled",
      "AWS::Lambda::Function",
    );
    this.transition(stack, verb === "CREATE" ? "ROLLBACK_COMPLETE" : "UPDATE_ROLLBACK_COMPLETE");
  }

  private createChangeSet(input: CreateChangeSetCommandInput) {
    const name = input.StackName ?? "";
    this.record("CreateChangeSet", name);
    let stack = this.find(name);
    if (input.ChangeSetType === "CREATE") {
      if (stack && stack.status !== "REVIEW_IN_PROGRESS") {
        throw awsError(
          "AlreadyExistsException",
          `Stack [${name}] already exists and cannot be created again`,
        );
      }
      stack ??= this.addStack(name, "REVIEW_IN_PROGRESS");
    } else if (!stack) {
      throw awsError("ValidationError", `Stack [${name}] does not exist`);
    }
    const stackId = stack.id;
    const changeSetName = input.ChangeSetName ?? "";
    if (
      this.changeSets.some((changeSet) => changeSet.name === changeSetName && changeSet.stackId === stackId)
    ) {
      throw awsError("AlreadyExistsException", `ChangeSet [${changeSetName}] already exists`);
    }
    this.changeSets.push({
      name: changeSetName,
      stackId,
      kind: input.ChangeSetType === "CREATE" ? "CREATE" : "UPDATE",
      status: "CREATE_PENDING",
      execution: "UNAVAILABLE",
      pendingDescribes: this.changeSetDelay,
      input,
    });
    return { Id: `${stackId}/changeSet/${changeSetName}`, StackId: stackId };
  }

  private changeSet(stackNameOrId: string, changeSetName: string) {
    const stack = this.find(stackNameOrId);
    const changeSet = this.changeSets.find(
      (candidate) => candidate.name === changeSetName && candidate.stackId === stack?.id,
    );
    return stack && changeSet ? { stack, changeSet } : undefined;
  }

  private describeChangeSet(stackNameOrId: string, changeSetName: string, nextToken?: string) {
    this.record("DescribeChangeSet", stackNameOrId);
    const nested = this.nestedChangeSets.get(changeSetName);
    if (nested) return { ChangeSetId: changeSetName, Status: "CREATE_COMPLETE", Changes: nested };
    const found = this.changeSet(stackNameOrId, changeSetName);
    if (!found) throw awsError("ChangeSetNotFoundException", `ChangeSet [${changeSetName}] does not exist`);
    const { stack, changeSet } = found;
    if (changeSet.status === "CREATE_PENDING") {
      if (changeSet.pendingDescribes > 0) changeSet.pendingDescribes--;
      else if (this.unchanged.has(stack.name)) {
        changeSet.status = "FAILED";
        changeSet.reason = NO_CHANGES;
      } else {
        changeSet.status = "CREATE_COMPLETE";
        changeSet.execution = "AVAILABLE";
      }
    }
    return {
      ChangeSetName: changeSet.name,
      StackId: stack.id,
      StackName: stack.name,
      Status: changeSet.status,
      StatusReason: changeSet.reason,
      ExecutionStatus: changeSet.execution,
      ...this.changePage(stack.name, changeSet.status === "CREATE_COMPLETE", nextToken),
    };
  }

  private changePage(stackName: string, ready: boolean, nextToken?: string) {
    if (!ready) return { Changes: [] };
    const all = this.changes.get(stackName) ?? [
      {
        Type: "Resource" as const,
        ResourceChange: {
          Action: "Add" as const,
          LogicalResourceId: "UsersTable",
          ResourceType: "AWS::DynamoDB::Table",
        },
      },
    ];
    const start = Number(nextToken ?? 0);
    const end = start + this.changePageSize;
    return { Changes: all.slice(start, end), ...(end < all.length ? { NextToken: String(end) } : {}) };
  }

  private executeChangeSet(stackNameOrId: string, changeSetName: string) {
    this.record("ExecuteChangeSet", stackNameOrId);
    const found = this.changeSet(stackNameOrId, changeSetName);
    if (found?.changeSet.execution !== "AVAILABLE") {
      throw awsError("InvalidChangeSetStatusException", `ChangeSet [${changeSetName}] cannot be executed`);
    }
    const { stack, changeSet } = found;
    changeSet.execution = "EXECUTE_IN_PROGRESS";
    // Executing one change set deletes the stack's others, as CloudFormation does.
    for (let index = this.changeSets.length - 1; index >= 0; index--) {
      const other = this.changeSets[index];
      if (other && other !== changeSet && other.stackId === stack.id) this.changeSets.splice(index, 1);
    }
    stack.operation = changeSet.kind;
    stack.pendingDescribes = this.stackDelay;
    stack.failure = this.failures.get(stack.name);
    this.failures.delete(stack.name);
    this.transition(stack, `${changeSet.kind}_IN_PROGRESS`, "User Initiated");
    return {};
  }
}
