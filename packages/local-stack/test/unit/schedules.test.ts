import type { InvokeOutcome } from "../../src/runtime/pool";
import { checkScheduleEvery, parseScheduleEvery, Scheduler } from "../../src/services/schedules";
import type { LogEntry } from "../../src/support/logs";
import type { FunctionDefinition } from "../../src/template/model";

describe("parseScheduleEvery (npm start -- --schedule-every)", () => {
  it.each([
    ["10s", 10_000],
    ["500ms", 500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1.5s", 1500],
    ["30", 30_000],
    [" 10S ", 10_000],
    ["template", "template"],
  ])("%p -> %p", (text, expected) => {
    expect(parseScheduleEvery(text)).toBe(expected);
  });

  it.each(["", "fast", "-5s", "10 minutes", "50ms", "0", "1d"])("refuses %p", (text) => {
    expect(() => parseScheduleEvery(text)).toThrow(/--schedule-every/);
  });

  it("startLocalStack's option is checked the same way", () => {
    expect(() => checkScheduleEvery(0)).toThrow(/scheduleEveryMs/);
    expect(() => checkScheduleEvery(Number.NaN)).toThrow(/scheduleEveryMs/);
    expect(() => checkScheduleEvery("template")).not.toThrow();
  });
});

function scheduled(service: string, everyMs: number | undefined, input?: unknown): FunctionDefinition {
  return {
    id: `${service}/RegistrarFunction`,
    service,
    functionName: `meridian-local-${service}-RegistrarFunction`,
    schedules: [{ name: "Schedule", expression: "rate(5 minutes)", everyMs, input }],
  } as unknown as FunctionDefinition;
}

const ok = (payload: unknown): InvokeOutcome => ({
  ok: true,
  requestId: "r",
  payloadBytes: JSON.stringify(payload ?? null).length,
  payload,
  durationMs: 1,
  coldStart: false,
});

const logs: LogEntry[] = [];
const log = (entry: LogEntry): void => {
  logs.push(entry);
};

afterEach(() => {
  jest.useRealTimers();
  logs.length = 0;
});

describe("Scheduler: on demand", () => {
  it("runs one service's schedules on demand with EventBridge's event, and reports the outcomes", async () => {
    const events: Array<[string, unknown]> = [];
    const scheduler = new Scheduler(
      [scheduled("auth", 300_000), scheduled("location", 300_000), scheduled("ops", undefined, { fixed: 1 })],
      async (id, event) => {
        events.push([id, event]);
        return ok({ id });
      },
      log,
      "us-east-1",
    );
    const runs = await scheduler.run("location");
    expect(runs).toEqual([
      {
        functionId: "location/RegistrarFunction",
        schedule: "Schedule",
        outcome: ok({ id: "location/RegistrarFunction" }),
      },
    ]);
    expect(events[0]?.[1]).toMatchObject({
      source: "aws.events",
      "detail-type": "Scheduled Event",
      region: "us-east-1",
      resources: [
        "arn:aws:events:us-east-1:000000000000:rule/meridian-local-location-RegistrarFunction-Schedule",
      ],
    });
    // A cron schedule is never timed locally but still runs on demand, with the template's Input.
    expect((await scheduler.run("ops"))[0]?.outcome).toEqual(ok({ id: "ops/RegistrarFunction" }));
    expect(events[1]).toEqual(["ops/RegistrarFunction", { fixed: 1 }]);
    expect(await scheduler.run()).toHaveLength(3);
  });

  it("an on-demand run starts only after the run under way has finished", async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    let calls = 0;
    const scheduler = new Scheduler(
      [scheduled("location", 300_000)],
      async () => {
        const call = ++calls;
        order.push(`start ${call}`);
        if (call === 1) await new Promise<void>((resolve) => (release = resolve));
        order.push(`end ${call}`);
        return ok(call);
      },
      log,
      "us-east-1",
    );
    const first = scheduler.run();
    const second = scheduler.run();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["start 1"]);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["start 1", "end 1", "start 2", "end 2"]);
  });

  it("an on-demand run of every schedule runs them one after another, in the stack's order", async () => {
    const order: string[] = [];
    const scheduler = new Scheduler(
      ["auth", "catalog", "location"].map((service) => scheduled(service, 300_000)),
      async (id) => {
        order.push(`start ${id}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(`end ${id}`);
        return ok(id);
      },
      log,
      "us-east-1",
    );
    const runs = await scheduler.run();
    expect(runs.map((run) => run.functionId)).toEqual([
      "auth/RegistrarFunction",
      "catalog/RegistrarFunction",
      "location/RegistrarFunction",
    ]);
    expect(order).toEqual(
      ["auth", "catalog", "location"].flatMap((service) => [
        `start ${service}/RegistrarFunction`,
        `end ${service}/RegistrarFunction`,
      ]),
    );
  });

  it("a function that is not running is a failed run, not an exception", async () => {
    const scheduler = new Scheduler(
      [scheduled("location", 300_000)],
      async () => undefined,
      log,
      "us-east-1",
    );
    const [run] = await scheduler.run();
    expect(run?.outcome).toMatchObject({ ok: false, error: { errorType: "Runtime.Stopped" } });
    expect(logs.map((entry) => entry.level)).toEqual(["WARN"]);
  });
});

describe("Scheduler: timers", () => {
  it("timers: first run about a second after start, then every interval (the local one, or the template's)", async () => {
    jest.useFakeTimers();
    const ran: string[] = [];
    const invoke = async (id: string) => {
      ran.push(id);
      return ok(id);
    };
    const local = new Scheduler(
      [scheduled("auth", 300_000), scheduled("ops", undefined)],
      invoke,
      log,
      "us-east-1",
    );
    local.start(10_000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(ran).toEqual(["auth/RegistrarFunction"]);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(ran).toHaveLength(3);
    local.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(ran).toHaveLength(3);

    ran.length = 0;
    const template = new Scheduler([scheduled("auth", 300_000)], invoke, log, "us-east-1");
    template.start("template");
    await jest.advanceTimersByTimeAsync(299_000);
    expect(ran).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(2000);
    expect(ran).toHaveLength(2);
    template.stop();
  });

  it("timers: the first runs go one after another, as EventBridge's rules fire at their own offsets", async () => {
    jest.useFakeTimers();
    const ran: string[] = [];
    const startedAt: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const slowInvoke = async (id: string) => {
      ran.push(id);
      startedAt.push(Date.now());
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 500));
      inFlight--;
      return ok(id);
    };
    const services = ["auth", "catalog", "location"];
    const scheduler = new Scheduler(
      services.map((service) => scheduled(service, 300_000)),
      slowInvoke,
      log,
      "us-east-1",
    );
    const start = Date.now();
    scheduler.start(10_000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(ran).toEqual(["auth/RegistrarFunction"]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(ran).toEqual(services.map((service) => `${service}/RegistrarFunction`));
    expect(mostInFlight).toBe(1);
    // Each interval counts from its own first run (ended at 1.5, 2 and 2.5 s), so later runs stay apart too.
    await jest.advanceTimersByTimeAsync(10_600);
    expect(startedAt.map((at) => at - start)).toEqual([1000, 1500, 2000, 11_500, 12_000, 12_500]);
    scheduler.stop();

    ran.length = 0;
    const stopped = new Scheduler(
      services.map((service) => scheduled(service, 300_000)),
      slowInvoke,
      log,
      "us-east-1",
    );
    stopped.start(10_000);
    await jest.advanceTimersByTimeAsync(1000);
    stopped.stop();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(ran).toEqual(["auth/RegistrarFunction"]);
  });
});
