import {
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
 * A small in-memory CloudFormation behind aws-sdk-client-mock: stacks with
 * a status and an event log, change sets with a status. Tests move it along
 * (a change set becomes ready, a resource fails) between rounds of the step
 * function, and read back which API calls each round made.
 */
interface FakeStack {
  id: string;
  name: string;
  status: string;
  reason?: string;
  deleted: boolean;
  events: StackEvent[];
}

interface FakeChangeSet {
  name: string;
  stackId: string;
  kind: string;
  status: string;
  reason?: string;
  execution: string;
  input: CreateChangeSetCommandInput;
}

function validationError(message: string): Error {
  const error = new Error(message);
  error.name = "ValidationError";
  return error;
}

export class FakeCloudFormation {
  readonly client = new CloudFormationClient({ region: "us-east-1" });
  readonly mock = mockClient(this.client);
  readonly stacks: FakeStack[] = [];
  readonly changeSets: FakeChangeSet[] = [];
  /** Every call in order: `Command stackName`. */
  readonly calls: string[] = [];
  /** DescribeStackEvents page size, small so paging is exercised. */
  pageSize = 4;
  private eventCounter = 0;
  private stackCounter = 0;

  constructor() {
    const mock = this.mock;
    mock.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
      this.record("DescribeStacks", input.StackName);
      const stack = this.find(input.StackName);
      if (!stack) throw validationError(`Stack with id ${input.StackName} does not exist`);
      return {
        Stacks: [
          {
            StackId: stack.id,
            StackName: stack.name,
            StackStatus: stack.status,
            StackStatusReason: stack.reason,
          },
        ],
      };
    });
    mock.on(DescribeStackEventsCommand).callsFake((input: { StackName: string; NextToken?: string }) => {
      this.record("DescribeStackEvents", input.StackName);
      const stack = this.find(input.StackName);
      if (!stack) throw validationError(`Stack [${input.StackName}] does not exist`);
      const newestFirst = [...stack.events].reverse();
      const start = Number(input.NextToken ?? 0);
      const page = newestFirst.slice(start, start + this.pageSize);
      const next = start + this.pageSize < newestFirst.length ? String(start + this.pageSize) : undefined;
      return { StackEvents: page, NextToken: next };
    });
    mock.on(CreateChangeSetCommand).callsFake((input: CreateChangeSetCommandInput) => {
      this.record("CreateChangeSet", input.StackName ?? "");
      let stack = this.find(input.StackName ?? "");
      if (input.ChangeSetType === "CREATE") {
        if (stack && stack.status !== "REVIEW_IN_PROGRESS")
          throw validationError(`Stack [${input.StackName}] already exists`);
        stack ??= this.addStack(input.StackName ?? "", "REVIEW_IN_PROGRESS");
      } else if (!stack) {
        throw validationError(`Stack [${input.StackName}] does not exist`);
      }
      const name = input.ChangeSetName ?? "";
      this.changeSets.push({
        name,
        stackId: stack.id,
        kind: input.ChangeSetType ?? "UPDATE",
        status: "CREATE_PENDING",
        execution: "UNAVAILABLE",
        input,
      });
      return { Id: `arn:changeSet/${name}`, StackId: stack.id };
    });
    mock.on(DescribeChangeSetCommand).callsFake((input: { ChangeSetName: string; StackName: string }) => {
      this.record("DescribeChangeSet", input.StackName);
      const changeSet = this.changeSet(input.ChangeSetName);
      return {
        ChangeSetName: changeSet.name,
        StackId: changeSet.stackId,
        Status: changeSet.status,
        StatusReason: changeSet.reason,
        ExecutionStatus: changeSet.execution,
        Changes: [{ Type: "Resource", ResourceChange: { Action: "Add", LogicalResourceId: "UsersTable" } }],
      };
    });
    mock.on(ExecuteChangeSetCommand).callsFake((input: { ChangeSetName: string; StackName: string }) => {
      this.record("ExecuteChangeSet", input.StackName);
      const changeSet = this.changeSet(input.ChangeSetName);
      if (changeSet.execution !== "AVAILABLE") throw validationError("ChangeSet is not executable");
      changeSet.execution = "EXECUTE_IN_PROGRESS";
      const stack = this.find(changeSet.stackId);
      if (stack)
        this.setStatus(stack.name, changeSet.kind === "CREATE" ? "CREATE_IN_PROGRESS" : "UPDATE_IN_PROGRESS");
      return {};
    });
    mock.on(DeleteChangeSetCommand).callsFake((input: { ChangeSetName: string; StackName: string }) => {
      this.record("DeleteChangeSet", input.StackName);
      const index = this.changeSets.findIndex((changeSet) => changeSet.name === input.ChangeSetName);
      this.changeSets.splice(index, 1);
      return {};
    });
    mock.on(DeleteStackCommand).callsFake((input: { StackName: string }) => {
      this.record("DeleteStack", input.StackName);
      const stack = this.find(input.StackName);
      if (stack) this.setStatus(stack.name, "DELETE_IN_PROGRESS", "User Initiated");
      return {};
    });
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

  private changeSet(name: string): FakeChangeSet {
    const changeSet = this.changeSets.find((candidate) => candidate.name === name);
    if (!changeSet) throw validationError(`ChangeSet [${name}] does not exist`);
    return changeSet;
  }

  addStack(name: string, status: string): FakeStack {
    this.stackCounter += 1;
    const stack: FakeStack = {
      id: `arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/${this.stackCounter}`,
      name,
      status,
      deleted: false,
      events: [],
    };
    this.stacks.push(stack);
    this.emit(name, name, status, undefined, "AWS::CloudFormation::Stack");
    return stack;
  }

  stack(name: string): FakeStack {
    const stack = this.find(name);
    if (!stack) throw new Error(`no live stack ${name}`);
    return stack;
  }

  emit(
    stackName: string,
    logicalId: string,
    status: string,
    reason?: string,
    type = "AWS::DynamoDB::Table",
  ): void {
    const stack = this.stacks.filter((candidate) => candidate.name === stackName).at(-1);
    if (!stack) throw new Error(`no stack ${stackName}`);
    this.eventCounter += 1;
    stack.events.push({
      StackId: stack.id,
      StackName: stack.name,
      EventId: `event-${this.eventCounter}`,
      LogicalResourceId: logicalId,
      PhysicalResourceId: type === "AWS::CloudFormation::Stack" ? stack.id : `${logicalId}-physical`,
      ResourceType: type,
      ResourceStatus: status as ResourceStatus,
      ResourceStatusReason: reason,
      Timestamp: new Date(Date.UTC(2025, 0, 1, 12, 0, this.eventCounter)),
    });
  }

  /** Sets the stack's status and logs the matching stack event, as CloudFormation does. */
  setStatus(stackName: string, status: string, reason?: string): void {
    const stack = this.stacks.filter((candidate) => candidate.name === stackName).at(-1);
    if (!stack) throw new Error(`no stack ${stackName}`);
    stack.status = status;
    stack.reason = reason;
    if (status === "DELETE_COMPLETE") stack.deleted = true;
    this.emit(stackName, stackName, status, reason, "AWS::CloudFormation::Stack");
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

  restore(): void {
    this.mock.restore();
  }
}
