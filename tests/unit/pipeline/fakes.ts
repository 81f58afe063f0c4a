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
import {
  type ArtifactCredentials,
  ArtifactFiles,
  type ArtifactLocation,
  type ArtifactReader,
} from "../../../src/pipeline/deployer/artifact";
import {
  type ArtifactManifest,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  PACKAGE_BUCKET_PLACEHOLDER,
} from "../../../src/pipeline/deployer/manifest";
import type { PackageStore, StoredPackage } from "../../../src/pipeline/deployer/package-store";

// ------------------------------------------------------------------ artifact

export interface FakeService {
  name: string;
  dependencies?: string[];
  functions?: string[];
}

export const THREE_SERVICES: FakeService[] = [
  { name: "auth", functions: ["RegisterFunction", "LoginFunction"] },
  { name: "location", dependencies: ["auth"], functions: ["PutLocationFunction"] },
  { name: "profile", dependencies: ["auth", "location"], functions: ["GetProfileFunction"] },
];

/** An in-memory BundleOutput in the shape tools/package-artifact.ts writes. */
export function fakeArtifact(
  services: FakeService[] = THREE_SERVICES,
  environments: string[] = ["dev", "staging", "prod"],
  order: string[] = services.map((service) => service.name),
): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const json = (path: string, value: unknown) => files.set(path, Buffer.from(JSON.stringify(value)));
  const manifestServices: ArtifactManifest["services"] = [];
  for (const service of services) {
    const packages = (service.functions ?? []).map(
      (id) => `packages/${service.name}/${id}-0123456789abcdef.zip`,
    );
    for (const key of packages) files.set(key, Buffer.from(`zip of ${key}`));
    const template = `packages/${service.name}/template-fedcba9876543210.json`;
    json(template, {
      AWSTemplateFormatVersion: "2010-09-09",
      Transform: "AWS::Serverless-2016-10-31",
      Parameters: { Environment: { Type: "String" } },
      Resources: Object.fromEntries(
        (service.functions ?? []).map((id, index) => [
          id,
          {
            Type: "AWS::Serverless::Function",
            Properties: {
              Handler: `${id}.handler`,
              CodeUri: { Bucket: PACKAGE_BUCKET_PLACEHOLDER, Key: packages[index] },
            },
          },
        ]),
      ),
    });
    manifestServices.push({
      name: service.name,
      dependencies: service.dependencies ?? [],
      template,
      packages,
    });
  }
  const manifest: ArtifactManifest = {
    format: MANIFEST_FORMAT,
    sourceVersion: "0a1b2c3d",
    services: manifestServices,
    environments: Object.fromEntries(
      environments.map((environment) => [
        environment,
        order.map((service) => {
          const configuration = `configs/${environment}/${service}.json`;
          json(configuration, {
            Parameters: { Environment: environment, LogLevel: "INFO" },
            Tags: { Project: "meridian", Environment: environment, Service: service },
          });
          return { service, stackName: `meridian-${environment}-${service}`, configuration };
        }),
      ]),
    ),
  };
  json(MANIFEST_FILE, manifest);
  return files;
}

export class FakeArtifactReader implements ArtifactReader {
  readonly reads: Array<{ location: ArtifactLocation; credentials: ArtifactCredentials }> = [];
  /** Errors thrown by the next reads, in order. */
  readonly failures: Error[] = [];

  constructor(public files: Map<string, Buffer> = fakeArtifact()) {}

  async read(location: ArtifactLocation, credentials: ArtifactCredentials): Promise<ArtifactFiles> {
    this.reads.push({ location, credentials });
    const failure = this.failures.shift();
    if (failure) throw failure;
    return new ArtifactFiles(this.files);
  }
}

export class FakePackageStore implements PackageStore {
  readonly bucket = "meridian-pipeline-artifactbucket-abc";
  readonly uploads = new Map<string, Buffer>();

  async ensure(key: string, body: Buffer): Promise<StoredPackage> {
    this.uploads.set(key, body);
    return { bucket: this.bucket, key, url: `https://${this.bucket}.s3.us-east-1.amazonaws.com/${key}` };
  }
}

// ------------------------------------------------------------ CloudFormation

export interface InjectedFailure {
  logicalId: string;
  resourceType: string;
  reason: string;
}

interface FakeChangeSet {
  name: string;
  type: "CREATE" | "UPDATE";
  status: "CREATE_PENDING" | "CREATE_COMPLETE" | "FAILED";
  statusReason?: string;
  executionStatus: "UNAVAILABLE" | "AVAILABLE" | "EXECUTE_IN_PROGRESS";
  pendingDescribes: number;
  input: CreateChangeSetCommandInput;
}

interface FakeStack {
  name: string;
  id: string;
  status: string;
  events: StackEvent[];
  changeSets: Map<string, FakeChangeSet>;
  /** DescribeStacks calls that still answer *_IN_PROGRESS. */
  pendingDescribes: number;
  operation?: "CREATE" | "UPDATE" | "DELETE";
  failure?: InjectedFailure;
}

function missing(name: string): Error {
  const error = new Error(`Stack with id ${name} does not exist`);
  error.name = "ValidationError";
  return error;
}

const NO_CHANGES =
  "The submitted information didn't contain changes. Submit different information to create a change set.";

/**
 * Just enough of CloudFormation's stack and change-set life cycle for
 * stack-deployer, behind aws-sdk-client-mock. Delays count API calls, not
 * time: `changeSetDelay` DescribeChangeSet calls answer CREATE_PENDING and
 * `stackDelay` DescribeStacks calls answer *_IN_PROGRESS.
 */
export class FakeCloudFormation {
  readonly mock = mockClient(CloudFormationClient);
  readonly client = new CloudFormationClient({ region: "us-east-1" });
  readonly stacks = new Map<string, FakeStack>();
  /** Stack names whose next change set has no changes. */
  readonly unchanged = new Set<string>();
  /** Stack names whose next execution fails on a resource. */
  readonly failures = new Map<string, InjectedFailure>();
  changeSetDelay = 0;
  stackDelay = 0;
  private sequence = 0;

  constructor() {
    this.mock
      .on(DescribeStacksCommand)
      .callsFake((input: { StackName?: string }) => this.describeStacks(input.StackName ?? ""));
    this.mock
      .on(CreateChangeSetCommand)
      .callsFake((input: CreateChangeSetCommandInput) => this.createChangeSet(input));
    this.mock
      .on(DescribeChangeSetCommand)
      .callsFake((input: { ChangeSetName?: string; StackName?: string }) =>
        this.describeChangeSet(input.StackName ?? "", input.ChangeSetName ?? ""),
      );
    this.mock
      .on(ExecuteChangeSetCommand)
      .callsFake((input: { ChangeSetName?: string; StackName?: string }) =>
        this.executeChangeSet(input.StackName ?? "", input.ChangeSetName ?? ""),
      );
    this.mock
      .on(DeleteChangeSetCommand)
      .callsFake((input: { ChangeSetName?: string; StackName?: string }) => {
        this.find(input.StackName ?? "")?.changeSets.delete(input.ChangeSetName ?? "");
        return {};
      });
    this.mock.on(DescribeStackEventsCommand).callsFake((input: { StackName?: string }) => {
      const stack = this.find(input.StackName ?? "");
      if (!stack) throw missing(input.StackName ?? "");
      return { StackEvents: [...stack.events].reverse() };
    });
    this.mock.on(DeleteStackCommand).callsFake((input: { StackName?: string }) => {
      const stack = this.find(input.StackName ?? "");
      if (!stack) return {};
      stack.status = "DELETE_IN_PROGRESS";
      stack.operation = "DELETE";
      stack.pendingDescribes = this.stackDelay;
      this.event(stack, stack.name, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS");
      return {};
    });
  }

  restore(): void {
    this.mock.restore();
  }

  /** A stack that already exists in `status`, e.g. from an earlier pipeline run. */
  addStack(name: string, status: string, pendingDescribes = 0): FakeStack {
    const stack: FakeStack = {
      name,
      id: `arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/${++this.sequence}`,
      status,
      events: [],
      changeSets: new Map(),
      pendingDescribes,
      ...(status.startsWith("UPDATE") ? { operation: "UPDATE" as const } : {}),
      ...(status.startsWith("CREATE") ? { operation: "CREATE" as const } : {}),
    };
    this.event(stack, name, "AWS::CloudFormation::Stack", status);
    this.stacks.set(name, stack);
    return stack;
  }

  calls(command: string): Array<Record<string, unknown>> {
    return this.mock
      .calls()
      .filter((call) => (call.args[0] as { constructor: { name: string } }).constructor.name === command)
      .map((call) => (call.args[0] as unknown as { input: Record<string, unknown> }).input);
  }

  private find(nameOrId: string): FakeStack | undefined {
    for (const stack of this.stacks.values())
      if (stack.name === nameOrId || stack.id === nameOrId) return stack;
    return undefined;
  }

  private event(
    stack: FakeStack,
    logicalId: string,
    resourceType: string,
    status: string,
    reason?: string,
  ): void {
    stack.events.push({
      StackId: stack.id,
      StackName: stack.name,
      EventId: `event-${++this.sequence}`,
      LogicalResourceId: logicalId,
      PhysicalResourceId: resourceType === "AWS::CloudFormation::Stack" ? stack.id : `${logicalId}-physical`,
      ResourceType: resourceType,
      ResourceStatus: status as ResourceStatus,
      Timestamp: new Date(1_700_000_000_000 + this.sequence * 1000),
      ...(reason ? { ResourceStatusReason: reason } : {}),
    });
  }

  private describeStacks(nameOrId: string) {
    const stack = this.find(nameOrId);
    // By name, a deleted stack is gone; by id it still answers DELETE_COMPLETE.
    if (!stack || (stack.status === "DELETE_COMPLETE" && nameOrId === stack.name)) throw missing(nameOrId);
    if (stack.status.endsWith("_IN_PROGRESS") && stack.status !== "REVIEW_IN_PROGRESS") {
      if (stack.pendingDescribes > 0) stack.pendingDescribes--;
      else this.finish(stack);
    }
    return {
      Stacks: [
        { StackName: stack.name, StackId: stack.id, StackStatus: stack.status, CreationTime: new Date() },
      ],
    };
  }

  private finish(stack: FakeStack): void {
    if (stack.operation === "DELETE") {
      stack.status = "DELETE_COMPLETE";
      this.event(stack, stack.name, "AWS::CloudFormation::Stack", "DELETE_COMPLETE");
      return;
    }
    const verb = stack.operation === "CREATE" ? "CREATE" : "UPDATE";
    const failure = stack.failure;
    if (failure) {
      stack.failure = undefined;
      this.event(stack, failure.logicalId, failure.resourceType, `${verb}_FAILED`, failure.reason);
      this.event(
        stack,
        "OtherResource",
        "AWS::Lambda::Function",
        `${verb}_FAILED`,
        "Resource creation cancelled",
      );
      stack.status = verb === "CREATE" ? "ROLLBACK_COMPLETE" : "UPDATE_ROLLBACK_COMPLETE";
    } else {
      stack.status = `${verb}_COMPLETE`;
    }
    this.event(stack, stack.name, "AWS::CloudFormation::Stack", stack.status);
  }

  private createChangeSet(input: CreateChangeSetCommandInput) {
    const name = input.StackName ?? "";
    let stack = this.find(name);
    if (input.ChangeSetType === "CREATE") {
      if (stack && stack.status !== "REVIEW_IN_PROGRESS" && stack.status !== "DELETE_COMPLETE") {
        throw Object.assign(new Error(`Stack [${name}] already exists and cannot be created again`), {
          name: "AlreadyExistsException",
        });
      }
      if (!stack || stack.status === "DELETE_COMPLETE") {
        this.stacks.delete(name);
        stack = this.addStack(name, "REVIEW_IN_PROGRESS");
      }
    } else if (!stack) {
      throw missing(name);
    }
    const changeSetName = input.ChangeSetName ?? "";
    if (stack.changeSets.has(changeSetName)) {
      throw Object.assign(new Error(`ChangeSet [${changeSetName}] already exists`), {
        name: "AlreadyExistsException",
      });
    }
    const noChanges = this.unchanged.has(name);
    stack.changeSets.set(changeSetName, {
      name: changeSetName,
      type: input.ChangeSetType === "CREATE" ? "CREATE" : "UPDATE",
      status: "CREATE_PENDING",
      ...(noChanges ? { statusReason: NO_CHANGES } : {}),
      executionStatus: "UNAVAILABLE",
      pendingDescribes: this.changeSetDelay,
      input,
    });
    return { Id: `${stack.id}/changeSet/${changeSetName}`, StackId: stack.id };
  }

  private describeChangeSet(stackNameOrId: string, changeSetName: string) {
    const stack = this.find(stackNameOrId);
    const changeSet = stack?.changeSets.get(changeSetName);
    if (!stack || !changeSet) {
      throw Object.assign(new Error(`ChangeSet [${changeSetName}] does not exist`), {
        name: "ChangeSetNotFoundException",
      });
    }
    if (changeSet.status === "CREATE_PENDING") {
      if (changeSet.pendingDescribes > 0) changeSet.pendingDescribes--;
      else if (changeSet.statusReason) changeSet.status = "FAILED";
      else {
        changeSet.status = "CREATE_COMPLETE";
        changeSet.executionStatus = "AVAILABLE";
      }
    }
    return {
      ChangeSetName: changeSet.name,
      StackId: stack.id,
      StackName: stack.name,
      Status: changeSet.status,
      ExecutionStatus: changeSet.executionStatus,
      ...(changeSet.statusReason && changeSet.status === "FAILED"
        ? { StatusReason: changeSet.statusReason }
        : {}),
      Changes:
        changeSet.status === "CREATE_COMPLETE"
          ? [{ Type: "Resource", ResourceChange: { Action: "Modify", LogicalResourceId: "SomeFunction" } }]
          : [],
    };
  }

  private executeChangeSet(stackNameOrId: string, changeSetName: string) {
    const stack = this.find(stackNameOrId);
    const changeSet = stack?.changeSets.get(changeSetName);
    if (!stack || !changeSet || changeSet.executionStatus !== "AVAILABLE") {
      throw Object.assign(new Error(`ChangeSet [${changeSetName}] cannot be executed`), {
        name: "InvalidChangeSetStatusException",
      });
    }
    stack.changeSets.clear();
    stack.operation = changeSet.type;
    stack.status = `${changeSet.type}_IN_PROGRESS`;
    stack.pendingDescribes = this.stackDelay;
    const failure = this.failures.get(stack.name);
    if (failure) {
      stack.failure = failure;
      this.failures.delete(stack.name);
    }
    this.event(stack, stack.name, "AWS::CloudFormation::Stack", stack.status, "User Initiated");
    return {};
  }
}
