import {
  type Capability,
  type Change,
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Stack,
  type StackEvent,
} from "@aws-sdk/client-cloudformation";

/**
 * One CloudFormation stack deploy (or delete) as a step function that never
 * blocks: `advance` makes one round of API calls and returns the next state.
 * The CLI (tools/deploy.ts) loops it with a sleep; the pipeline's deployer
 * Lambda returns the state as a CodePipeline continuation token, so a state
 * is small, plain JSON, and holds no template or parameters (the caller
 * supplies the target again on every round).
 */

/** Everything a deploy needs besides the state; for a delete only `stackName` is read. */
export interface StackTarget {
  stackName: string;
  /** An S3 https URL (required for templates over 51,200 bytes). */
  templateURL?: string;
  templateBody?: string;
  parameters?: Record<string, string>;
  tags?: Record<string, string>;
  capabilities?: Capability[];
  /** Service role CloudFormation assumes (the pipeline uses one; the CLI uses the caller's credentials). */
  roleARN?: string;
  /** Defaults to `meridian-<epoch ms>`; the Lambda can pass something tied to the pipeline execution. */
  changeSetName?: string;
  /**
   * Stop at the change set: report its changes, then delete it (with the empty
   * stack a CREATE change set makes), so a person can review before deploying.
   */
  previewOnly?: boolean;
}

export type ChangeSetKind = "CREATE" | "UPDATE";
export type StackOutcome = "created" | "updated" | "unchanged" | "previewed" | "deleted" | "absent";

/** One resource change of a change set, as a reviewer needs it. */
export interface ResourceChangeSummary {
  /** The nested stack (its logical id in the root template) the change is in; absent for the root's own resources. */
  stack?: string;
  action: string;
  logicalId: string;
  resourceType: string;
  /** "True", "False" or "Conditional" for a Modify: whether the resource is replaced (a table would be). */
  replacement?: string;
}

export interface StackFailure {
  reason: string;
  logicalId?: string;
  resourceType?: string;
  status?: string;
}

export type StackState =
  | { phase: "start"; action: "deploy" | "delete" }
  /** A stack that failed its first create can only be deleted; then it is created again. */
  | { phase: "deleting-rolled-back-stack"; stackId: string; lastEventId?: string }
  | { phase: "waiting-for-change-set"; changeSetName: string; kind: ChangeSetKind; stackId?: string }
  | {
      phase: "waiting-for-stack";
      stackId: string;
      kind: ChangeSetKind;
      lastEventId?: string;
      failure?: StackFailure;
    }
  | { phase: "waiting-for-delete"; stackId: string; lastEventId?: string; failure?: StackFailure }
  | { phase: "done"; outcome: StackOutcome }
  | ({ phase: "failed" } & StackFailure);

export interface StackEventSummary {
  timestamp: string;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
}

export interface AdvanceResult {
  state: StackState;
  /** Stack events that appeared since the previous round, oldest first. */
  events: StackEventSummary[];
  /** What this round did or is waiting for, for a person to read. */
  message?: string;
  /** The change set's resource changes, in the round that executes (or previews) it. */
  changes?: ResourceChangeSummary[];
}

const DEFAULT_CAPABILITIES: Capability[] = [
  "CAPABILITY_IAM",
  "CAPABILITY_NAMED_IAM",
  "CAPABILITY_AUTO_EXPAND",
];

/** Reasons CloudFormation gives for a change set with nothing in it. */
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;
const CANCELLED = /cancell?ed/i;
/** Keeps a failure reason short enough for a 2,048-character continuation token. */
const MAX_REASON = 600;
/** Pages of events read per round; only a very busy stack produces more between two rounds. */
const MAX_EVENT_PAGES = 5;

const NESTED_STACK_TYPE = "AWS::CloudFormation::Stack";
/** Nested stacks (and their change sets) are followed this deep (root -> service is 1). */
const MAX_NESTING = 3;

const SUCCEEDED = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"]);
const FAILED_TERMINAL = new Set([
  "ROLLBACK_COMPLETE",
  "ROLLBACK_FAILED",
  "UPDATE_ROLLBACK_COMPLETE",
  "UPDATE_ROLLBACK_FAILED",
  "UPDATE_FAILED",
  "CREATE_FAILED",
  "DELETE_FAILED",
  "IMPORT_ROLLBACK_COMPLETE",
  "IMPORT_ROLLBACK_FAILED",
]);
/** Stable states a stack can be updated from. */
const UPDATABLE = new Set([
  "CREATE_COMPLETE",
  "UPDATE_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE",
  "IMPORT_COMPLETE",
  "IMPORT_ROLLBACK_COMPLETE",
]);

export function initialState(action: "deploy" | "delete" = "deploy"): StackState {
  return { phase: "start", action };
}

export function isFinished(state: StackState): state is Extract<StackState, { phase: "done" | "failed" }> {
  return state.phase === "done" || state.phase === "failed";
}

function truncate(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function isMissingStack(error: unknown): boolean {
  return error instanceof Error && /does not exist/i.test(error.message);
}

function isThrottled(error: unknown): boolean {
  return error instanceof Error && /Throttl|Rate exceeded/i.test(`${error.name} ${error.message}`);
}

async function describeStack(cfn: CloudFormationClient, stack: string): Promise<Stack | undefined> {
  try {
    const result = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    return result.Stacks?.[0];
  } catch (error) {
    if (isMissingStack(error)) return undefined;
    throw error;
  }
}

function summarize(event: StackEvent): StackEventSummary {
  return {
    timestamp: (event.Timestamp ?? new Date(0)).toISOString(),
    logicalId: event.LogicalResourceId ?? "",
    resourceType: event.ResourceType ?? "",
    status: event.ResourceStatus ?? "",
    ...(event.ResourceStatusReason ? { reason: event.ResourceStatusReason } : {}),
  };
}

interface NewEvents {
  events: StackEvent[];
  lastEventId?: string;
}

/** Events newer than `lastEventId`, oldest first. DescribeStackEvents lists newest first. */
async function newEvents(
  cfn: CloudFormationClient,
  stackId: string,
  lastEventId?: string,
): Promise<NewEvents> {
  const fresh: StackEvent[] = [];
  let nextToken: string | undefined;
  let newest: string | undefined;
  for (let page = 0; page < MAX_EVENT_PAGES; page++) {
    const result = await cfn.send(
      new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken }),
    );
    const events = result.StackEvents ?? [];
    newest ??= events[0]?.EventId;
    for (const event of events) {
      if (lastEventId !== undefined && event.EventId === lastEventId) {
        return { events: fresh.reverse(), lastEventId: newest ?? lastEventId };
      }
      fresh.push(event);
    }
    nextToken = result.NextToken;
    if (!nextToken) break;
  }
  return { events: fresh.reverse(), lastEventId: newest ?? lastEventId };
}

/** The newest event id now, so the next rounds show only what this operation causes. */
async function latestEventId(cfn: CloudFormationClient, stackId: string): Promise<string | undefined> {
  const result = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }));
  return result.StackEvents?.[0]?.EventId;
}

/**
 * The resource that failed first, which is the cause; the ones after it are
 * usually "Resource creation cancelled" knock-on failures.
 */
function firstFailure(events: StackEvent[], stackId: string, known?: StackFailure): StackFailure | undefined {
  if (known && !CANCELLED.test(known.reason)) return known;
  let candidate = known;
  for (const event of events) {
    const status = event.ResourceStatus ?? "";
    if (!status.endsWith("_FAILED")) continue;
    if (event.PhysicalResourceId === stackId && event.ResourceType === "AWS::CloudFormation::Stack") continue;
    const failure: StackFailure = {
      reason: truncate(event.ResourceStatusReason ?? "no reason given"),
      ...(event.LogicalResourceId ? { logicalId: event.LogicalResourceId } : {}),
      ...(event.ResourceType ? { resourceType: event.ResourceType } : {}),
      status,
    };
    if (!CANCELLED.test(failure.reason)) return failure;
    candidate ??= failure;
  }
  return candidate;
}

/**
 * The events of a stack's latest operation, oldest first: from its newest
 * *_IN_PROGRESS event of the stack itself on, so an earlier deploy's failure
 * is never blamed.
 */
async function operationEvents(cfn: CloudFormationClient, stackId: string): Promise<StackEvent[]> {
  const collected: StackEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_EVENT_PAGES; page++) {
    const result = await cfn.send(
      new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken }),
    );
    for (const event of result.StackEvents ?? []) {
      collected.push(event);
      const status = event.ResourceStatus ?? "";
      const isStart = status === "CREATE_IN_PROGRESS" || status === "UPDATE_IN_PROGRESS";
      if (isStart && event.PhysicalResourceId === stackId && event.ResourceType === NESTED_STACK_TYPE) {
        return collected.reverse();
      }
    }
    nextToken = result.NextToken;
    if (!nextToken) break;
  }
  return collected.reverse();
}

/**
 * A nested stack's failure says only "Embedded stack ... was not successfully
 * updated"; the cause is inside it. Follows the failed nested stack's own
 * events down to the resource that failed, named `AuthService/LoginFunction`.
 */
async function explainNested(
  cfn: CloudFormationClient,
  failure: StackFailure | undefined,
  events: StackEvent[],
  depth = 0,
): Promise<StackFailure | undefined> {
  if (failure?.resourceType !== NESTED_STACK_TYPE || !failure.logicalId || depth >= MAX_NESTING) {
    return failure;
  }
  const event = events.find(
    (candidate) =>
      candidate.LogicalResourceId === failure.logicalId &&
      candidate.ResourceType === NESTED_STACK_TYPE &&
      (candidate.ResourceStatus ?? "").endsWith("_FAILED") &&
      candidate.PhysicalResourceId,
  );
  const nestedId = event?.PhysicalResourceId;
  if (!nestedId) return failure;
  const nestedEvents = await operationEvents(cfn, nestedId);
  const inner = await explainNested(cfn, firstFailure(nestedEvents, nestedId), nestedEvents, depth + 1);
  if (!inner) return failure;
  return { ...inner, logicalId: `${failure.logicalId}/${inner.logicalId ?? "stack"}` };
}

/** Adds what another service knows about a failure (CodeDeploy about a rolled-back alias). */
export type FailureExplainer = (failure: StackFailure) => Promise<StackFailure>;

function failed(failure: StackFailure): StackState {
  return { phase: "failed", ...failure, reason: truncate(failure.reason) };
}

async function createChangeSet(
  cfn: CloudFormationClient,
  target: StackTarget,
  kind: ChangeSetKind,
): Promise<AdvanceResult> {
  if (!target.templateURL && !target.templateBody) {
    return { state: failed({ reason: `no template given for ${target.stackName}` }), events: [] };
  }
  const changeSetName = target.changeSetName ?? `meridian-${Date.now()}`;
  const result = await cfn.send(
    new CreateChangeSetCommand({
      StackName: target.stackName,
      ChangeSetName: changeSetName,
      ChangeSetType: kind,
      TemplateURL: target.templateURL,
      TemplateBody: target.templateURL ? undefined : target.templateBody,
      Parameters: Object.entries(target.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
      Tags: Object.entries(target.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      Capabilities: target.capabilities ?? DEFAULT_CAPABILITIES,
      RoleARN: target.roleARN,
      Description: `Meridian ${kind === "CREATE" ? "create" : "update"} of ${target.stackName}`,
      // Each service is a nested stack of the root: its changes are reviewed and listed with the root's.
      IncludeNestedStacks: true,
    }),
  );
  return {
    state: {
      phase: "waiting-for-change-set",
      changeSetName,
      kind,
      ...(result.StackId ? { stackId: result.StackId } : {}),
    },
    events: [],
    message: `creating change set ${changeSetName} (${kind})`,
  };
}

async function start(
  cfn: CloudFormationClient,
  target: StackTarget,
  action: "deploy" | "delete",
): Promise<AdvanceResult> {
  const stack = await describeStack(cfn, target.stackName);
  const status = stack?.StackStatus;
  if (action === "delete") {
    if (!stack?.StackId || status === "DELETE_COMPLETE")
      return { state: { phase: "done", outcome: "absent" }, events: [] };
    if (status === "DELETE_IN_PROGRESS") {
      return {
        state: { phase: "waiting-for-delete", stackId: stack.StackId },
        events: [],
        message: "already deleting",
      };
    }
    // REVIEW_IN_PROGRESS is not an operation under way but a stack whose CREATE
    // change set was never executed: nothing will ever finish, so delete it.
    if (status?.endsWith("_IN_PROGRESS") && status !== "REVIEW_IN_PROGRESS") {
      return { state: { phase: "start", action }, events: [], message: `waiting for ${status} to finish` };
    }
    const lastEventId = await latestEventId(cfn, stack.StackId);
    await cfn.send(new DeleteStackCommand({ StackName: stack.StackId }));
    return {
      state: { phase: "waiting-for-delete", stackId: stack.StackId, ...(lastEventId ? { lastEventId } : {}) },
      events: [],
      message: "deleting stack",
    };
  }

  if (!stack?.StackId || status === "REVIEW_IN_PROGRESS") {
    // REVIEW_IN_PROGRESS: an earlier CREATE change set was never executed; the stack has no resources yet.
    return createChangeSet(cfn, target, "CREATE");
  }
  if (status === "ROLLBACK_COMPLETE") {
    const lastEventId = await latestEventId(cfn, stack.StackId);
    await cfn.send(new DeleteStackCommand({ StackName: stack.StackId }));
    return {
      state: {
        phase: "deleting-rolled-back-stack",
        stackId: stack.StackId,
        ...(lastEventId ? { lastEventId } : {}),
      },
      events: [],
      message:
        "stack is in ROLLBACK_COMPLETE (its first create failed) and cannot be updated: deleting it to create it again",
    };
  }
  if (status && UPDATABLE.has(status)) return createChangeSet(cfn, target, "UPDATE");
  if (status?.endsWith("_IN_PROGRESS")) {
    return { state: { phase: "start", action }, events: [], message: `waiting for ${status} to finish` };
  }
  return {
    state: failed({
      reason: `stack is in ${status}${stack.StackStatusReason ? ` (${stack.StackStatusReason})` : ""} and cannot be updated; fix it in the CloudFormation console (continue rollback or delete) and deploy again`,
      status,
    }),
    events: [],
  };
}

async function deletingRolledBack(
  cfn: CloudFormationClient,
  target: StackTarget,
  state: Extract<StackState, { phase: "deleting-rolled-back-stack" }>,
): Promise<AdvanceResult> {
  // By id, a deleted stack still answers (DELETE_COMPLETE); by name it would be "does not exist".
  const stack = await describeStack(cfn, state.stackId);
  const fresh = await newEvents(cfn, state.stackId, state.lastEventId);
  const events = fresh.events.map(summarize);
  if (!stack || stack.StackStatus === "DELETE_COMPLETE") {
    const next = await createChangeSet(cfn, target, "CREATE");
    return { ...next, events };
  }
  if (stack.StackStatus === "DELETE_FAILED") {
    const failure = firstFailure(fresh.events, state.stackId) ?? {
      reason: stack.StackStatusReason ?? "delete of the rolled-back stack failed",
    };
    return { state: failed({ ...failure, status: failure.status ?? "DELETE_FAILED" }), events };
  }
  return {
    state: { ...state, ...(fresh.lastEventId ? { lastEventId: fresh.lastEventId } : {}) },
    events,
  };
}

type ChangeSetWait = Extract<StackState, { phase: "waiting-for-change-set" }>;

/** A FAILED change set: "no changes" is success (and the empty change set is deleted); anything else fails. */
async function failedChangeSet(
  cfn: CloudFormationClient,
  target: StackTarget,
  state: ChangeSetWait,
  changeSet: DescribeChangeSetCommandOutput,
): Promise<AdvanceResult> {
  const reason = changeSet.StatusReason ?? "change set failed without a reason";
  if (!NO_CHANGES.test(reason)) {
    return { state: failed({ reason: `change set ${state.changeSetName} failed: ${reason}` }), events: [] };
  }
  // An empty change set would otherwise pile up on the stack on every run.
  await cfn.send(
    new DeleteChangeSetCommand({
      ChangeSetName: state.changeSetName,
      StackName: changeSet.StackId ?? state.stackId ?? target.stackName,
    }),
  );
  return { state: { phase: "done", outcome: "unchanged" }, events: [], message: "no changes" };
}

/** A change set still being created, or deleted under us. */
function unfinishedChangeSet(state: ChangeSetWait, status: string | undefined): AdvanceResult {
  if (status?.startsWith("DELETE")) {
    return {
      state: failed({ reason: `change set ${state.changeSetName} was deleted (${status})` }),
      events: [],
    };
  }
  return { state, events: [], message: `change set ${status ?? "pending"}` };
}

/** What to do with a created change set that cannot be executed now; undefined when it can. */
function unexecutableChangeSet(
  state: ChangeSetWait,
  execution: string | undefined,
  stackId: string,
): AdvanceResult | undefined {
  if (execution === "AVAILABLE") return undefined;
  if (execution === "EXECUTE_IN_PROGRESS" || execution === "EXECUTE_COMPLETE") {
    // A previous round executed it and then lost its state (a retried Lambda); just follow the stack.
    return { state: { phase: "waiting-for-stack", stackId, kind: state.kind }, events: [] };
  }
  if (execution === "UNAVAILABLE") return { state, events: [], message: "change set not yet executable" };
  return {
    state: failed({ reason: `change set ${state.changeSetName} cannot be executed (${execution})` }),
    events: [],
  };
}

function listChanges(changes: ResourceChangeSummary[]): string {
  const listed = changes
    .map((change) => `${change.action} ${change.stack ? `${change.stack}/` : ""}${change.logicalId}`)
    .join(", ");
  return `${changes.length} change(s)${listed ? `: ${listed}` : ""}`;
}

/** The preview (prod's, before approval): the changes listed, the change set removed, nothing changed. */
async function previewChangeSet(
  cfn: CloudFormationClient,
  state: ChangeSetWait,
  stackId: string,
  changes: ResourceChangeSummary[],
): Promise<AdvanceResult> {
  // A CREATE change set lives on an empty REVIEW_IN_PROGRESS stack; deleting
  // that stack takes the change set with it and leaves nothing behind.
  if (state.kind === "CREATE") await cfn.send(new DeleteStackCommand({ StackName: stackId }));
  else await cfn.send(new DeleteChangeSetCommand({ ChangeSetName: state.changeSetName, StackName: stackId }));
  return {
    state: { phase: "done", outcome: "previewed" },
    events: [],
    changes,
    message: `would ${state.kind === "CREATE" ? "create the stack" : "update the stack"}: ${listChanges(changes)}; change set deleted, nothing changed`,
  };
}

async function executeChangeSet(
  cfn: CloudFormationClient,
  state: ChangeSetWait,
  stackId: string,
  changes: ResourceChangeSummary[],
): Promise<AdvanceResult> {
  const lastEventId = await latestEventId(cfn, stackId);
  await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: state.changeSetName, StackName: stackId }));
  return {
    state: { phase: "waiting-for-stack", stackId, kind: state.kind, ...(lastEventId ? { lastEventId } : {}) },
    events: [],
    changes,
    message: `executing change set: ${listChanges(changes)}`,
  };
}

async function waitingForChangeSet(
  cfn: CloudFormationClient,
  target: StackTarget,
  state: ChangeSetWait,
): Promise<AdvanceResult> {
  const changeSet = await cfn.send(
    new DescribeChangeSetCommand({
      ChangeSetName: state.changeSetName,
      StackName: state.stackId ?? target.stackName,
    }),
  );
  if (changeSet.Status === "FAILED") return failedChangeSet(cfn, target, state, changeSet);
  if (changeSet.Status !== "CREATE_COMPLETE") return unfinishedChangeSet(state, changeSet.Status);
  const stackId = changeSet.StackId ?? state.stackId;
  if (!stackId) return { state: failed({ reason: "change set has no stack id" }), events: [] };
  const unexecutable = unexecutableChangeSet(state, changeSet.ExecutionStatus, stackId);
  if (unexecutable) return unexecutable;
  const changes = await allChanges(
    cfn,
    state.changeSetName,
    stackId,
    changeSet.Changes ?? [],
    changeSet.NextToken,
  );
  return target.previewOnly
    ? previewChangeSet(cfn, state, stackId, changes)
    : executeChangeSet(cfn, state, stackId, changes);
}

/**
 * Every resource change, the nested stacks' included (each under its logical
 * id); DescribeChangeSet pages them for large change sets.
 */
async function allChanges(
  cfn: CloudFormationClient,
  changeSetName: string,
  stackId: string | undefined,
  first: Change[],
  nextToken: string | undefined,
  stack?: string,
  depth = 0,
): Promise<ResourceChangeSummary[]> {
  const changes = [...first];
  let token = nextToken;
  while (token) {
    const page = await cfn.send(
      new DescribeChangeSetCommand({ ChangeSetName: changeSetName, StackName: stackId, NextToken: token }),
    );
    changes.push(...(page.Changes ?? []));
    token = page.NextToken;
  }
  const summaries: ResourceChangeSummary[] = [];
  for (const { ResourceChange: change } of changes) {
    summaries.push({
      ...(stack ? { stack } : {}),
      action: change?.Action ?? "?",
      logicalId: change?.LogicalResourceId ?? "?",
      resourceType: change?.ResourceType ?? "?",
      ...(change?.Replacement ? { replacement: change.Replacement } : {}),
    });
    if (change?.ResourceType !== NESTED_STACK_TYPE || !change.ChangeSetId || depth >= MAX_NESTING) continue;
    const nested = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: change.ChangeSetId }));
    const label = stack ? `${stack}/${change.LogicalResourceId}` : (change.LogicalResourceId ?? "?");
    summaries.push(
      ...(await allChanges(
        cfn,
        change.ChangeSetId,
        undefined,
        nested.Changes ?? [],
        nested.NextToken,
        label,
        depth + 1,
      )),
    );
  }
  return summaries;
}

async function waitingForStack(
  cfn: CloudFormationClient,
  state: Extract<StackState, { phase: "waiting-for-stack" | "waiting-for-delete" }>,
  explain?: FailureExplainer,
): Promise<AdvanceResult> {
  // Status first, then events: every event up to that status is then in hand,
  // including the failure that caused a rollback.
  const stack = await describeStack(cfn, state.stackId);
  const fresh = await newEvents(cfn, state.stackId, state.lastEventId);
  const events = fresh.events.map(summarize);
  let failure = firstFailure(fresh.events, state.stackId, state.failure);
  if (failure && failure !== state.failure) {
    // Explained once, when first seen; the state carries the explanation on.
    failure = await explainNested(cfn, failure, fresh.events);
    if (failure && explain) failure = { ...(await explain(failure)) };
    if (failure) failure = { ...failure, reason: truncate(failure.reason) };
  }
  const status = stack?.StackStatus;
  if (state.phase === "waiting-for-delete") {
    if (!stack || status === "DELETE_COMPLETE")
      return { state: { phase: "done", outcome: "deleted" }, events };
    if (status === "DELETE_FAILED") {
      return {
        state: failed(failure ?? { reason: stack.StackStatusReason ?? "delete failed", status }),
        events,
      };
    }
  } else {
    if (!stack)
      return { state: failed({ reason: `stack ${state.stackId} disappeared while deploying` }), events };
    if (status && SUCCEEDED.has(status)) {
      return { state: { phase: "done", outcome: state.kind === "CREATE" ? "created" : "updated" }, events };
    }
    if (status && FAILED_TERMINAL.has(status)) {
      return {
        state: failed(failure ?? { reason: stack.StackStatusReason ?? `stack ended in ${status}`, status }),
        events,
      };
    }
  }
  return {
    state: {
      ...state,
      ...(fresh.lastEventId ? { lastEventId: fresh.lastEventId } : {}),
      ...(failure ? { failure } : {}),
    },
    events,
    ...(status ? { message: status } : {}),
  };
}

/**
 * One non-blocking round: a few CloudFormation calls, no sleeping, no
 * console output. Call again with the returned state until it is `done` or
 * `failed`. Throttling leaves the state as it was; any other API error ends
 * the operation as `failed` with the error in the reason.
 */
export async function advance(
  cfn: CloudFormationClient,
  target: StackTarget,
  state: StackState,
  explain?: FailureExplainer,
): Promise<AdvanceResult> {
  try {
    switch (state.phase) {
      case "start":
        return await start(cfn, target, state.action);
      case "deleting-rolled-back-stack":
        return await deletingRolledBack(cfn, target, state);
      case "waiting-for-change-set":
        return await waitingForChangeSet(cfn, target, state);
      case "waiting-for-stack":
      case "waiting-for-delete":
        return await waitingForStack(cfn, state, explain);
      case "done":
      case "failed":
        return { state, events: [] };
    }
  } catch (error) {
    if (isThrottled(error))
      return { state, events: [], message: `throttled (${errorText(error)}); will retry` };
    return { state: failed({ reason: `${target.stackName}: ${errorText(error)}` }), events: [] };
  }
}
