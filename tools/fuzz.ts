import { type LocalStack, signedFetch } from "@meridian/local-stack";
import { edgyDouble, seededRandom } from "./lib/doubles";
import { withBenchStack } from "./lib/load";

/**
 * A bounded fuzzer over every route of the local stack: malformed and edge
 * input (numbers at the edges of IEEE 754 and DynamoDB, unicode edge cases,
 * duplicate keys, wrong content types, odd methods and paths, oversized
 * bodies), the comments service's mapping-template routes included. Prints counts by status; exits 1 on any 5xx, any request slower
 * than the hang limit, or any error body off the contract's
 * {"error":{"code","message"}} (the catalog lookup's legacy 404 excepted).
 *
 *   npm run fuzz -- [--count 2000] [--seed 1] [--concurrency 4]
 */

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i] ?? "", process.argv[i + 1] ?? "");
const COUNT = Number(args.get("--count") ?? 2000);
const SEED = Number(args.get("--seed") ?? 1);
const CONCURRENCY = Number(args.get("--concurrency") ?? 4);
const HANG_MS = 10_000;

const random = seededRandom(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const NUMBER_TEXTS = [
  "0",
  "-0",
  "1e-200",
  "5e-324",
  "-7e-300",
  "1e-130",
  "1e-131",
  "9.999999999999999e125",
  "1e126",
  "1e308",
  "1.7976931348623157e308",
  "1e999",
  "-1e999",
  "2.2250738585072014e-308",
  "9007199254740993",
  "123456789012345678901234567890123456789012",
  "0.1e1",
  "90.00000001",
  "-180",
  "180.0000000001",
  "1E5",
  "00",
  "-",
];
const STRINGS = [
  "",
  " ",
  "a",
  "\u0000",
  "\ud800",
  "\udfff",
  "\ud83d\ude00",
  "e\u0301".repeat(6),
  "\u202e",
  "\ufeff",
  "\ufdfa".repeat(20),
  "x".repeat(129),
  "x".repeat(5000),
  "null",
  "<script>",
  "' OR 1=1 --",
  "../../etc/passwd",
  "%00",
  "\\u0000",
  "correct horse battery staple",
  "QWERTY123456",
  " ".repeat(12),
];

function numberText(): string {
  if (random() < 0.5) return pick(NUMBER_TEXTS);
  const value = edgyDouble(random, pick([90, 180, 1e300]));
  return Object.is(value, -0) ? "-0" : String(value);
}

function value(): string {
  const kind = Math.floor(random() * 6);
  if (kind === 0) return numberText();
  if (kind === 1) return JSON.stringify(pick(STRINGS));
  if (kind === 2) return pick(["null", "true", "[]", "{}", "[1,2]", '{"a":{"b":{"c":[[[[]]]]}}}']);
  return kind === 3 ? `"${pick(STRINGS).replace(/["\\]/g, "")}"` : numberText();
}

/** A JSON-ish body for these fields: valid values, edge values, missing, extra and duplicate keys, or not JSON at all. */
function body(fields: Record<string, () => string>): string {
  const roll = random();
  if (roll < 0.05) return pick(["", "{", "[", "nul", '{"a":1,}', "\u0000", "{}".repeat(3)]);
  if (roll < 0.08) return `{"pad":"${"x".repeat(70_000)}"}`;
  const entries = Object.entries(fields).filter(() => random() > 0.1);
  const parts = entries.map(([key, valid]) => `"${key}":${random() < 0.5 ? valid() : value()}`);
  if (random() < 0.15 && entries[0]) parts.push(`"${entries[0][0]}":${value()}`);
  if (random() < 0.1) parts.push(`"extra":${value()}`);
  return `{${parts.join(",")}}`;
}

interface Target {
  method: string;
  path: string;
  body?: string;
  headers: Record<string, string>;
  signed?: boolean;
}

/** What the fuzzer signs in as, and comments it can page and delete. */
interface Seed {
  userId: string;
  token: string;
  commentIds: string[];
  /** A nextToken a listing of the user's page returned (valid there, foreign anywhere else). */
  nextToken: string;
}

/** The odd values a route's parts are drawn from: the seeded user's, and what a caller should not send. */
function fuzzValues(user: Seed) {
  return {
    id: () => pick([user.userId, user.userId, "nobody", "a b", "%2e%2e", "x".repeat(80), "é"]),
    auth: (): Record<string, string> =>
      pick<Record<string, string>>([
        { Authorization: `Bearer ${user.token}` },
        {},
        { Authorization: "Bearer a.b.c" },
        { Authorization: "Basic x" },
      ]),
    contentType: (): Record<string, string> =>
      random() < 0.85
        ? { "content-type": "application/json" }
        : { "content-type": pick(["text/plain", "application/xml", "", "application/json; charset=utf-16"]) },
    name: () => `"fz${Math.floor(random() * 1e6)}"`,
    password: () =>
      JSON.stringify(pick(["correct horse battery staple", "a long enough password", ...STRINGS])),
    query: (): string => {
      const parts = [
        random() < 0.6
          ? `limit=${pick(["", "0", "1", "2", "20", "100", "101", "-1", "1e2", "01", "abc", "%00", "9".repeat(30)])}`
          : "",
        random() < 0.5
          ? `nextToken=${pick([user.nextToken, user.nextToken, "", "abc", "x".repeat(500), "AAAAAAAA", "====", "%ff", "a.b.c", Buffer.from("1.x.y").toString("base64url"), encodeURIComponent('"}{\\')])}`
          : "",
      ].filter((part) => part !== "");
      return parts.length > 0 ? `?${parts.join("&")}` : "";
    },
    commentId: () => pick([...user.commentIds, "nope", "%2e%2e", "x".repeat(300), "'", "é"]),
  };
}

type FuzzValues = ReturnType<typeof fuzzValues>;
type RouteMaker = (base: string, values: FuzzValues) => Array<() => Target>;

const authRoutes: RouteMaker = (base, { name, password, contentType }) =>
  ["users", "tokens"].map((resource) => () => ({
    method: "POST",
    path: `${base}/${resource}`,
    body: body({ username: name, password }),
    headers: contentType(),
  }));

const locationRoutes: RouteMaker = (base, { id, auth, contentType }) => [
  () => ({
    method: "PUT",
    path: `${base}/locations/${id()}`,
    body: body({ latitude: numberText, longitude: numberText }),
    headers: { ...contentType(), ...auth() },
  }),
  () => ({ method: "GET", path: `${base}/locations/${id()}`, headers: {}, signed: random() < 0.7 }),
];

const profileRoutes: RouteMaker = (base, { id, auth, contentType }) => [
  () => ({
    method: "PUT",
    path: `${base}/profiles/${id()}`,
    body: body({
      displayName: () => JSON.stringify(pick(STRINGS)),
      bio: () => JSON.stringify(pick(STRINGS)),
    }),
    headers: {
      ...contentType(),
      ...auth(),
      ...(random() < 0.5 ? { "If-Match": pick(["1", '"1"', "*", "-1", "1e3", "99999999999999999"]) } : {}),
    },
  }),
  () => ({ method: "GET", path: `${base}/profiles/${id()}`, headers: {} }),
];

const catalogRoutes: RouteMaker = (base, { name, contentType }) => [
  () => ({
    method: "GET",
    path: `${base}/catalog/${pick(["location", "x", "register", "%00"])}/${pick(["v1", "..", "x".repeat(40)])}`,
    headers: {},
  }),
  () => ({
    method: "POST",
    path: `${base}/catalog/${pick(["register", "deregister"])}`,
    body: body({
      service_name: name,
      service_version: () => '"v1"',
      endpoint_url: () => JSON.stringify(pick(["https://x.example.com/dev", "https://a@b/#", "ftp://x"])),
      ttl: numberText,
      status: () => '"healthy"',
    }),
    headers: contentType(),
    signed: true,
  }),
];

const commentsRoutes: RouteMaker = (base, { id, auth, contentType, query, commentId }) => [
  () => ({
    method: "POST",
    path: `${base}/profiles/${id()}/comments`,
    body: body({
      message: () =>
        JSON.stringify(pick(["hi", " \t trimmed \n", "x".repeat(500), "x".repeat(501), ...STRINGS])),
    }),
    headers: { ...contentType(), ...auth() },
  }),
  () => ({ method: "GET", path: `${base}/profiles/${id()}/comments${query()}`, headers: {} }),
  () => ({ method: "GET", path: `${base}/v1/profiles/${id()}/comments${query()}`, headers: {} }),
  () => ({ method: "DELETE", path: `${base}/profiles/${id()}/comments/${commentId()}`, headers: auth() }),
];

/** A method or path no API declares, on any API. */
function strayRoute(bases: string[]): () => Target {
  return () => ({
    method: pick(["DELETE", "PATCH", "OPTIONS", "HEAD", "POST"]),
    path: `${pick(bases)}/${pick(["", "users", "locations", "profiles/x/y", "tokens/..", "%ff", "profiles/x/comments/y/z", "v1/profiles/x/comments"])}`,
    headers: {},
  });
}

function targets(stack: LocalStack, user: Seed): () => Target {
  const values = fuzzValues(user);
  const api = (service: string): string => stack.endpoints[service] ?? "";
  const routes = [
    ...authRoutes(api("auth"), values),
    ...locationRoutes(api("location"), values),
    ...profileRoutes(api("profile"), values),
    ...catalogRoutes(api("catalog"), values),
    ...commentsRoutes(api("comments"), values),
    strayRoute(["auth", "location", "profile", "catalog", "comments"].map(api)),
  ];
  return () => pick(routes)();
}

async function send(
  stack: LocalStack,
  target: Target,
): Promise<{ status: number; text: string; ms: number }> {
  const init = {
    method: target.method,
    headers: target.headers,
    body: target.method === "GET" || target.method === "HEAD" ? undefined : target.body,
    signal: AbortSignal.timeout(HANG_MS),
  };
  const started = performance.now();
  const response = target.signed
    ? await signedFetch(stack, target.path, init)
    : await fetch(target.path, init);
  const text = await response.text();
  return { status: response.status, text, ms: performance.now() - started };
}

function offContract(target: Target, status: number, text: string): string | undefined {
  if (status < 400 || target.method === "HEAD") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "error body is not JSON";
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
  if (typeof error?.code === "string" && typeof error.message === "string") return undefined;
  const legacyNotFound =
    status === 404 &&
    target.path.includes("/catalog/") &&
    JSON.stringify(parsed) === '{"error_message":"Service Not Found"}';
  return legacyNotFound ? undefined : "error body off the contract";
}

async function setUp(stack: LocalStack): Promise<Seed> {
  const credentials = JSON.stringify({ username: "fuzz-owner", password: "correct horse battery staple" });
  const json = { "content-type": "application/json" };
  const user = (await (
    await fetch(`${stack.endpoints.auth}/users`, { method: "POST", headers: json, body: credentials })
  ).json()) as { userId: string };
  const login = (await (
    await fetch(`${stack.endpoints.auth}/tokens`, { method: "POST", headers: json, body: credentials })
  ).json()) as { token: string };
  const headers = { ...json, Authorization: `Bearer ${login.token}` };
  const page = `${stack.endpoints.comments}/profiles/${user.userId}/comments`;
  const commentIds: string[] = [];
  for (const message of ["first", "second", "third"]) {
    const posted = await fetch(page, { method: "POST", headers, body: JSON.stringify({ message }) });
    commentIds.push(((await posted.json()) as { commentId: string }).commentId);
  }
  const listed = (await (await fetch(`${page}?limit=1`)).json()) as { nextToken?: string };
  if (!listed.nextToken) throw new Error("fuzz set-up: a one-comment page of three has no nextToken");
  return { userId: user.userId, token: login.token, commentIds, nextToken: listed.nextToken };
}

async function main(): Promise<void> {
  const failures: string[] = [];
  const byStatus = new Map<string, number>();
  const byService = new Map<string, number>();
  const started = performance.now();
  await withBenchStack({ schedules: false, logs: () => undefined }, async (stack) => {
    const next = targets(stack, await setUp(stack));
    let sent = 0;
    const worker = async () => {
      while (sent < COUNT) {
        sent++;
        const target = next();
        const service =
          Object.entries(stack.endpoints).find(([, url]) => target.path.startsWith(`${url}/`))?.[0] ?? "?";
        byService.set(service, (byService.get(service) ?? 0) + 1);
        const label = `${target.method} ${new URL(target.path).pathname.split("/").slice(0, 3).join("/")}`;
        try {
          const { status, text, ms } = await send(stack, target);
          byStatus.set(String(status), (byStatus.get(String(status)) ?? 0) + 1);
          const problem = status >= 500 ? `answered ${status}` : offContract(target, status, text);
          if (problem)
            failures.push(
              `${label}: ${problem} (${ms.toFixed(0)} ms): ${text.slice(0, 200)} <- ${target.body?.slice(0, 200) ?? ""}`,
            );
        } catch (error) {
          byStatus.set("hang/error", (byStatus.get("hang/error") ?? 0) + 1);
          failures.push(
            `${label}: ${(error as Error).name} ${(error as Error).message} <- ${target.body?.slice(0, 200) ?? ""}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const total = [...byStatus.values()].reduce((a, b) => a + b, 0);
  console.log(`${total} requests (seed ${SEED}) in ${seconds} s; by status:`);
  for (const [status, count] of [...byStatus].sort())
    console.log(`  ${status.padEnd(10)} ${String(count).padStart(6)}`);
  console.log(
    `by service: ${[...byService]
      .sort()
      .map(([service, count]) => `${service} ${count}`)
      .join(", ")}`,
  );
  if (failures.length > 0) {
    console.error(`${failures.length} failure(s):`);
    for (const failure of failures.slice(0, 30)) console.error(`  ${failure}`);
    process.exitCode = 1;
  } else {
    console.log("0 5xx, 0 hangs, 0 error bodies off the contract");
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
