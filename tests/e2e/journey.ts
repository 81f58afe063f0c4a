import { randomUUID } from "node:crypto";
import { TEST_ACCOUNT_PREFIX } from "../../src/shared/test-accounts";
import { poll } from "../../tools/lib/cli";
import { type JsonReply, jsonRequest } from "../support/json-call";

/**
 * The acceptance journey: what a user does, and the mistakes the edge must
 * turn away, over HTTP against one environment's APIs. The same steps run in
 * `npm test` (against the local stack) and in `npm run test:e2e -- --env <env>`
 * (the pipeline's acceptance action after each deploy).
 *
 * Its data is recognisable and cleans up after itself: usernames start with
 * TEST_ACCOUNT_PREFIX, so the services give those accounts, their profile and
 * their location a TTL (see src/shared/test-accounts.ts); the one comment is
 * deleted through the API, also when a later step fails.
 */

export const JOURNEY_SERVICES = ["auth", "location", "profile", "comments"] as const;
export type JourneyService = (typeof JOURNEY_SERVICES)[number];
/** Each service's base URL, as `/meridian/<env>/<service>/api/url` holds it. */
export type Endpoints = Record<JourneyService, string>;

export interface StepResult {
  step: string;
  ms: number;
}

/** A step whose answer was not the one expected: names the step and the request, with what came back. */
export class JourneyFailure extends Error {
  override name = "JourneyFailure";
}

export interface JourneyOptions {
  /** Called after each step that passed, in order. */
  onStep?: (result: StepResult) => void;
  /** How long the public read may take to show the location (a cold start may outlast profile's lookup). */
  readDeadlineMs?: number;
}

interface User {
  username: string;
  password: string;
  userId: string;
  token: string;
}

interface Journey {
  endpoints: Endpoints;
  readDeadlineMs: number;
  owner?: User;
  other?: User;
  locationUpdatedAt?: string;
  commentId?: string;
}

interface Request {
  method: string;
  url: string;
  body?: unknown;
  token?: string;
}

async function send({ method, url, body, token }: Request): Promise<JsonReply & { request: string }> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const reply = await jsonRequest(method, url, body, headers);
  return { ...reply, request: `${method} ${new URL(url).pathname}` };
}

function fail(reply: { request: string; status: number; text: string }, expected: string): never {
  throw new JourneyFailure(
    `${reply.request} answered ${reply.status} ${reply.text.slice(0, 300)}; expected ${expected}`,
  );
}

async function expectStatus(request: Request, status: number): Promise<JsonReply> {
  const reply = await send(request);
  if (reply.status !== status) fail(reply, String(status));
  return reply;
}

/** A 4xx in the one error shape every Meridian API answers with: `{"error": {"code", "message"}}`. */
async function expectError(request: Request, status: number): Promise<void> {
  const reply = await expectStatus(request, status);
  const error = reply.body?.error;
  if (typeof error?.code !== "string" || typeof error?.message !== "string") {
    fail(
      { ...reply, request: `${request.method} ${new URL(request.url).pathname}` },
      `${status} {"error": {"code", "message"}}`,
    );
  }
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new JourneyFailure(message);
}

function url(journey: Journey, service: JourneyService, path: string): string {
  return `${journey.endpoints[service].replace(/\/$/, "")}${path}`;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new JourneyFailure(`${what} is missing: an earlier step did not set it`);
  return value;
}

/** Acceptance-test usernames: recognisable, unique per run, within auth's 3-32 of [a-z0-9_-]. */
function testUsername(role: string): string {
  return `${TEST_ACCOUNT_PREFIX}${randomUUID().slice(0, 8)}-${role}`;
}

async function register(journey: Journey, role: string): Promise<User> {
  const username = testUsername(role);
  // Random per run: never a password in the repository, even for a test account.
  const password = `${randomUUID()}-${randomUUID()}`;
  const reply = await expectStatus(
    { method: "POST", url: url(journey, "auth", "/users"), body: { username, password } },
    201,
  );
  check(
    reply.body?.username === username && typeof reply.body?.userId === "string",
    `POST /users answered ${reply.text}; expected {userId, username: "${username}"}`,
  );
  return { username, password, userId: reply.body.userId, token: "" };
}

async function login(journey: Journey, user: User): Promise<void> {
  const reply = await expectStatus(
    {
      method: "POST",
      url: url(journey, "auth", "/tokens"),
      body: { username: user.username, password: user.password },
    },
    201,
  );
  check(
    typeof reply.body?.token === "string" && reply.body?.tokenType === "Bearer",
    `POST /tokens answered ${reply.text}; expected {token, tokenType: "Bearer", expiresIn}`,
  );
  user.token = reply.body.token;
}

type Step = [name: string, run: (journey: Journey) => Promise<void>];

const LONDON = { latitude: 51.507351, longitude: -0.127758 };

const SIGN_UP: Step[] = [
  [
    "register a user (201)",
    async (journey) => {
      journey.owner = await register(journey, "owner");
    },
  ],
  [
    "register the same username again (409)",
    async (journey) => {
      const { username, password } = need(journey.owner, "the user");
      await expectError(
        { method: "POST", url: url(journey, "auth", "/users"), body: { username, password } },
        409,
      );
    },
  ],
  [
    "register an invalid username (400)",
    async (journey) => {
      const body = { username: "No Spaces!", password: randomUUID() };
      await expectError({ method: "POST", url: url(journey, "auth", "/users"), body }, 400);
    },
  ],
  [
    "log in with a wrong password (401)",
    async (journey) => {
      const { username } = need(journey.owner, "the user");
      const body = { username, password: "not the password at all" };
      await expectError({ method: "POST", url: url(journey, "auth", "/tokens"), body }, 401);
    },
  ],
  [
    "log in (201, a bearer token)",
    async (journey) => {
      await login(journey, need(journey.owner, "the user"));
    },
  ],
  [
    "register and log in a second user",
    async (journey) => {
      journey.other = await register(journey, "other");
      await login(journey, journey.other);
    },
  ],
];

const LOCATION: Step[] = [
  [
    "put a location without a token (401)",
    async (journey) => {
      const { userId } = need(journey.owner, "the user");
      await expectError(
        { method: "PUT", url: url(journey, "location", `/locations/${userId}`), body: LONDON },
        401,
      );
    },
  ],
  [
    "put another user's location (403)",
    async (journey) => {
      const { userId } = need(journey.owner, "the user");
      const { token } = need(journey.other, "the second user");
      const request = {
        method: "PUT",
        url: url(journey, "location", `/locations/${userId}`),
        body: LONDON,
        token,
      };
      await expectError(request, 403);
    },
  ],
  [
    "put an out-of-range location (400)",
    async (journey) => {
      const { userId, token } = need(journey.owner, "the user");
      const body = { latitude: 91, longitude: 0 };
      await expectError(
        { method: "PUT", url: url(journey, "location", `/locations/${userId}`), body, token },
        400,
      );
    },
  ],
  [
    "put my location (200)",
    async (journey) => {
      const { userId, token } = need(journey.owner, "the user");
      const request = {
        method: "PUT",
        url: url(journey, "location", `/locations/${userId}`),
        body: LONDON,
        token,
      };
      const reply = await expectStatus(request, 200);
      check(
        reply.body?.latitude === LONDON.latitude && reply.body?.longitude === LONDON.longitude,
        `PUT /locations answered ${reply.text}; expected the position sent`,
      );
      journey.locationUpdatedAt = reply.body.updatedAt;
    },
  ],
  [
    "get a location unsigned (403: only profile's role may read it)",
    async (journey) => {
      const { userId } = need(journey.owner, "the user");
      await expectStatus({ method: "GET", url: url(journey, "location", `/locations/${userId}`) }, 403);
    },
  ],
];

const PROFILE: Step[] = [
  [
    "put another user's profile (403)",
    async (journey) => {
      const { userId } = need(journey.owner, "the user");
      const { token } = need(journey.other, "the second user");
      const body = { displayName: "Not me" };
      await expectError(
        { method: "PUT", url: url(journey, "profile", `/profiles/${userId}`), body, token },
        403,
      );
    },
  ],
  [
    "put my profile (200, version 1)",
    async (journey) => {
      const { userId, token } = need(journey.owner, "the user");
      const body = { displayName: "Acceptance Test", bio: "Made by the e2e suite" };
      const request = { method: "PUT", url: url(journey, "profile", `/profiles/${userId}`), body, token };
      const reply = await expectStatus(request, 200);
      check(reply.body?.version === 1, `PUT /profiles answered ${reply.text}; expected version 1`);
    },
  ],
  [
    "read my public profile: the location rounded to 2 decimals (200)",
    async (journey) => {
      const { userId } = need(journey.owner, "the user");
      const request = { method: "GET", url: url(journey, "profile", `/profiles/${userId}`) };
      // The location lookup's first call may be a cold start that outlasts profile's deadline;
      // profile then degrades by design, so the read is repeated until it shows the location.
      const reply = await poll(
        "the public profile to show the location",
        async () => {
          const read = await expectStatus(request, 200);
          return read.body?.locationStatus === "unavailable" ? undefined : read;
        },
        journey.readDeadlineMs,
      );
      const location = reply.body?.location;
      check(
        reply.body?.displayName === "Acceptance Test" &&
          location?.latitude === 51.51 &&
          location?.longitude === -0.13 &&
          location?.updatedAt === journey.locationUpdatedAt,
        `GET /profiles answered ${reply.text}; expected the profile with location {latitude: 51.51, longitude: -0.13}`,
      );
    },
  ],
  [
    "read an unknown profile (404)",
    async (journey) => {
      await expectError({ method: "GET", url: url(journey, "profile", `/profiles/${randomUUID()}`) }, 404);
    },
  ],
];

const COMMENTS: Step[] = [
  [
    "comment on the profile (201)",
    async (journey) => {
      const { userId } = need(journey.owner, "the user");
      const { token, username } = need(journey.other, "the second user");
      const body = { message: "hello from the acceptance tests" };
      const request = {
        method: "POST",
        url: url(journey, "comments", `/profiles/${userId}/comments`),
        body,
        token,
      };
      const reply = await expectStatus(request, 201);
      check(
        reply.body?.authorName === username,
        `POST /comments answered ${reply.text}; expected authorName ${username}`,
      );
      journey.commentId = reply.body.commentId;
    },
  ],
  [
    "read the profile's comments (200)",
    async (journey) => {
      const { userId } = need(journey.owner, "the user");
      const reply = await expectStatus(
        { method: "GET", url: url(journey, "comments", `/profiles/${userId}/comments`) },
        200,
      );
      const ids = (reply.body?.comments ?? []).map((comment: { commentId?: unknown }) => comment.commentId);
      check(
        ids.includes(journey.commentId),
        `GET /comments answered ${reply.text}; expected the new comment`,
      );
    },
  ],
  [
    "delete someone else's comment (403)",
    async (journey) => {
      const owner = need(journey.owner, "the user");
      const commentId = need(journey.commentId, "the comment");
      const path = `/profiles/${owner.userId}/comments/${commentId}`;
      await expectError({ method: "DELETE", url: url(journey, "comments", path), token: owner.token }, 403);
    },
  ],
  [
    "delete my comment (204), then again (404)",
    async (journey) => {
      const { userId } = need(journey.owner, "the user");
      const { token } = need(journey.other, "the second user");
      const path = `/profiles/${userId}/comments/${need(journey.commentId, "the comment")}`;
      await expectStatus({ method: "DELETE", url: url(journey, "comments", path), token }, 204);
      journey.commentId = undefined;
      await expectError({ method: "DELETE", url: url(journey, "comments", path), token }, 404);
    },
  ],
];

/** Every step, in the order the journey runs them. */
export const JOURNEY_STEPS: readonly Step[] = [...SIGN_UP, ...LOCATION, ...PROFILE, ...COMMENTS];

/** A comment left by a failed step is deleted (best effort): the rest expires with the test accounts. */
async function cleanUp(journey: Journey): Promise<void> {
  if (journey.commentId === undefined || !journey.owner || !journey.other) return;
  const path = `/profiles/${journey.owner.userId}/comments/${journey.commentId}`;
  await send({ method: "DELETE", url: url(journey, "comments", path), token: journey.other.token }).catch(
    () => undefined,
  );
}

export interface JourneyReport {
  steps: StepResult[];
  /** The test accounts the run registered: what it leaves behind, to expire with them. */
  accounts: Array<{ username: string; userId: string }>;
}

/** Runs every step in order; the first that fails throws a JourneyFailure naming it. */
export async function runJourney(endpoints: Endpoints, options: JourneyOptions = {}): Promise<JourneyReport> {
  const journey: Journey = { endpoints, readDeadlineMs: options.readDeadlineMs ?? 30_000 };
  const results: StepResult[] = [];
  try {
    for (const [step, run] of JOURNEY_STEPS) {
      const startedAt = performance.now();
      try {
        await run(journey);
      } catch (error) {
        throw new JourneyFailure(`step "${step}" failed: ${(error as Error).message}`);
      }
      const result = { step, ms: Math.round(performance.now() - startedAt) };
      results.push(result);
      options.onStep?.(result);
    }
  } finally {
    await cleanUp(journey);
  }
  const accounts = [journey.owner, journey.other].flatMap((user) =>
    user ? [{ username: user.username, userId: user.userId }] : [],
  );
  return { steps: results, accounts };
}
