import { randomUUID } from "node:crypto";
import { LOCAL_ACCOUNT_ID } from "../constants";
import { LocalStackError } from "../errors";
import type { InvokeOutcome } from "../runtime";
import { type LogSink, stackLog } from "../support";
import type { FunctionDefinition, ScheduleDefinition } from "../template";

/**
 * The functions' `Schedule` events, run locally. A template's `rate(5 minutes)`
 * is an AWS cost/latency trade-off; locally the registrars are what schedules
 * drive, and a developer wants to see a stopped service turn unhealthy in
 * seconds, so every rate schedule runs on one local interval instead (or the
 * template's own rate on request). Runs can also be triggered on demand, which
 * is how tests drive them instead of sleeping.
 */

/** Locally, rate(...) schedules run this often unless told otherwise. */
export const DEFAULT_SCHEDULE_EVERY_MS = 10_000;
/** EventBridge's first run comes some time within the first period; locally it comes right after start. */
const FIRST_RUN_AFTER_MS = 1000;
const MIN_EVERY_MS = 100;

/** A local interval for every rate(...) schedule, or each template's own rate. */
export type ScheduleEvery = number | "template";

export interface ScheduleRun {
  /** `service/LogicalId`. */
  functionId: string;
  schedule: string;
  outcome: InvokeOutcome;
}

interface Job {
  fn: FunctionDefinition;
  schedule: ScheduleDefinition;
  /** The latest run of this job, settled or not; the next waits for it. */
  tail: Promise<unknown>;
  running: number;
}

type Invoke = (functionId: string, event: unknown) => Promise<InvokeOutcome | undefined>;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `--schedule-every` values: `10s`, `500ms`, `2m`, `1h`, a bare number of seconds, or `template`. */
export function parseScheduleEvery(text: string): ScheduleEvery {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "template") return "template";
  const match = DURATION.exec(trimmed);
  const unit = (match?.[2] ?? "s") as keyof typeof UNIT_MS;
  const ms = match ? Math.round(Number(match[1]) * UNIT_MS[unit]) : Number.NaN;
  if (!Number.isFinite(ms) || ms < MIN_EVERY_MS) {
    throw new LocalStackError(
      `--schedule-every takes a duration of at least ${MIN_EVERY_MS}ms (10s, 500ms, 2m, 1h) or 'template', got '${text}'`,
    );
  }
  return ms;
}

export function checkScheduleEvery(every: ScheduleEvery): void {
  if (every === "template") return;
  if (!Number.isFinite(every) || every < MIN_EVERY_MS) {
    throw new LocalStackError(`scheduleEveryMs must be at least ${MIN_EVERY_MS}, got ${every}`);
  }
}

export class Scheduler {
  private readonly jobs: Job[];
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(
    functions: FunctionDefinition[],
    private readonly invoke: Invoke,
    private readonly log: LogSink,
    private readonly region: string,
  ) {
    this.jobs = functions.flatMap((fn) =>
      fn.schedules.map((schedule) => ({ fn, schedule, tail: Promise.resolve(), running: 0 })),
    );
  }

  /**
   * EventBridge fires each rule at its own offset within the period, not all
   * at once: locally the first runs go one after another, starting about a
   * second after start, and each schedule's interval counts from its first
   * run. (All at once, the registrars' first registrations met the catalog
   * together and each cold-started an execution environment of its own.)
   */
  start(every: ScheduleEvery): void {
    checkScheduleEvery(every);
    this.stopped = false;
    // cron(...) expressions are not emulated: those schedules run on demand only.
    const timed = this.jobs.flatMap((job) =>
      job.schedule.everyMs === undefined
        ? []
        : [{ job, everyMs: every === "template" ? job.schedule.everyMs : every }],
    );
    const first = setTimeout(() => void this.firstRuns(timed), FIRST_RUN_AFTER_MS);
    first.unref();
    this.timers.push(first);
  }

  private async firstRuns(jobs: Array<{ job: Job; everyMs: number }>): Promise<void> {
    for (const { job, everyMs } of jobs) {
      if (this.stopped) return;
      await this.enqueue(job).catch(() => undefined);
      if (this.stopped) return;
      const tick = (): void => {
        // A timer never piles runs up behind a slow one; on-demand runs do queue.
        if (job.running > 0) return;
        void this.enqueue(job);
      };
      const timer = setInterval(tick, everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /**
   * Runs every schedule of `service` (all services when omitted) now, each
   * after any run of it already under way, so what the caller sees afterwards
   * reflects the stack as it is at the call, not a run that started earlier.
   * One after another, as the first runs go: run together, the registrars
   * met the catalog at once and each cold-started a RegisterService
   * environment of its own.
   */
  async run(service?: string): Promise<ScheduleRun[]> {
    const jobs = service === undefined ? this.jobs : this.jobs.filter((job) => job.fn.service === service);
    const runs: ScheduleRun[] = [];
    for (const job of jobs) runs.push(await this.enqueue(job));
    return runs;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
  }

  private enqueue(job: Job): Promise<ScheduleRun> {
    job.running++;
    const run = job.tail.then(() => this.runOnce(job)).finally(() => job.running--);
    job.tail = run.catch(() => undefined);
    return run;
  }

  private async runOnce(job: Job): Promise<ScheduleRun> {
    const { fn, schedule } = job;
    // The event EventBridge sends for a scheduled rule, unless the template gives an Input.
    const event = schedule.input ?? {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: LOCAL_ACCOUNT_ID,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.region,
      resources: [
        `arn:aws:events:${this.region}:${LOCAL_ACCOUNT_ID}:rule/${fn.functionName}-${schedule.name}`,
      ],
      detail: {},
    };
    const outcome: InvokeOutcome = (await this.invoke(fn.id, event)) ?? {
      ok: false,
      requestId: "none",
      kind: "crash",
      error: { errorType: "Runtime.Stopped", errorMessage: `${fn.id} is not running` },
      durationMs: 0,
    };
    stackLog(
      this.log,
      outcome.ok ? "DEBUG" : "WARN",
      `schedule ${fn.id}/${schedule.name} ${outcome.ok ? "ran" : "failed"}`,
    );
    return { functionId: fn.id, schedule: schedule.name, outcome };
  }
}
