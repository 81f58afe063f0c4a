import { randomUUID } from "node:crypto";
import { type JsonReply, jsonRequest } from "../support/json-call";
import { releaseTestStack, sharedTestStack, type TestStack } from "../support/local-stack";

/**
 * The comments service end to end through the gateway: API Gateway's request validator,
 * mapping templates and DynamoDB integrations, read from src/comments/template.yaml, with no
 * Lambda on any of its routes.
 */

let stack: TestStack;

beforeAll(async () => {
  stack = await sharedTestStack();
}, 120_000);

afterAll(() => releaseTestStack(stack));

afterAll(async () => {});

const call = jsonRequest;

const PASSWORD = "correct horse battery staple";
const auth = (path: string) => `${stack.endpoints.auth}${path}`;
const comments = (path: string) => `${stack.endpoints.comments}${path}`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function newUser(): Promise<{ userId: string; username: string; token: string }> {
  const username = `user-${randomUUID().slice(0, 8)}`;
  const registered = await call("POST", auth("/users"), { username, password: PASSWORD });
  expect(registered.status).toBe(201);
  const login = await call("POST", auth("/tokens"), { username, password: PASSWORD });
  expect(login.status).toBe(201);
  return { userId: registered.body.userId, username, token: login.body.token };
}

const HOSTILE = [
  `He said "hi" & it's 'fine'`,
  "back\\slash \\n not a newline \\u0041",
  "new\nline\ttab\r\nend",
  "emoji 🙂👍🏽 and é ß 中文",
  "</script><script>alert(1)</script>",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: VTL and stage-variable syntax as comment text
  "${context.requestId} ${stageVariables.commentsTable} $util.base64Encode('x')",
  "#set($x = 'pwned') $x #foreach($i in [1..3])$i#end",
  "control \u0001 \u001f and \u2028 separator inside",
];

describe("comments: the round trip", () => {
  // Each case posts on a page of its own, so one author serves them all (a user is two scrypt hashes).
  let author: Awaited<ReturnType<typeof newUser>>;
  beforeAll(async () => {
    author = await newUser();
  });

  test.each(HOSTILE)("%j round-trips byte for byte", async (message) => {
    const page = randomUUID();
    const created = await call(
      "POST",
      comments(`/profiles/${page}/comments`),
      { message },
      bearer(author.token),
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      commentId: expect.any(String),
      profileUserId: page,
      authorId: author.userId,
      authorName: author.username,
      message,
      createdAt: expect.any(Number),
    });
    const listed = await call("GET", comments(`/profiles/${page}/comments`));
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ comments: [created.body] });
    const v1 = await call("GET", comments(`/v1/profiles/${page}/comments`));
    expect(v1.body).toEqual([{ commentId: created.body.commentId, userName: author.username, message }]);
  });
});

async function post(page: string, token: string, message: string): Promise<JsonReply> {
  return call("POST", comments(`/profiles/${page}/comments`), { message }, bearer(token));
}

describe("comments: what a post must be", () => {
  let author: Awaited<ReturnType<typeof newUser>>;
  beforeAll(async () => {
    author = await newUser();
  });

  test("surrounding whitespace is trimmed; 500 characters fit after trimming", async () => {
    const page = randomUUID();
    expect((await post(page, author.token, "  \n\t hello \r\n ")).body.message).toBe("hello");
    const long = "x".repeat(500);
    expect((await post(page, author.token, `   ${long}   `)).body.message).toBe(long);
  });

  test.each([
    ["an empty message", { message: "" }],
    ["only whitespace", { message: " \n\t " }],
    ["501 characters", { message: "y".repeat(501) }],
    ["a number", { message: 42 }],
    ["no message", {}],
    ["an extra field", { message: "hi", authorId: "someone-else" }],
    ["an array", [{ message: "hi" }]],
    ["malformed JSON", '{"message": "hi"'],
    ["no body at all", ""],
  ])("%s is a 400 from the request validator, in the contract's shape", async (_what, body) => {
    const page = randomUUID();
    const refused = await call("POST", comments(`/profiles/${page}/comments`), body, bearer(author.token));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: { code: "VALIDATION_ERROR", message: expect.stringContaining("1-500") },
    });
    expect((await call("GET", comments(`/profiles/${page}/comments`))).body).toEqual({ comments: [] });
  });

  test("without a token, or with a bad one, posting is a 401/403 and nothing is stored", async () => {
    const page = randomUUID();
    const anonymous = await call("POST", comments(`/profiles/${page}/comments`), { message: "hi" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("UNAUTHORIZED");
    const forged = await call(
      "POST",
      comments(`/profiles/${page}/comments`),
      { message: "hi" },
      bearer("x.y.z"),
    );
    expect([401, 403]).toContain(forged.status);
    expect((await call("GET", comments(`/profiles/${page}/comments`))).body).toEqual({ comments: [] });
  });

  test("the author comes from the token: a body cannot choose it", async () => {
    const page = randomUUID();
    const created = await post(page, author.token, "mine");
    expect(created.body).toMatchObject({ authorId: author.userId, authorName: author.username });
  });

  test("a userId with no profile takes comments like any page (the service never reads profile's table)", async () => {
    const nobody = `no-profile-${randomUUID()}`;
    const created = await post(nobody, author.token, "first!");
    expect(created.status).toBe(201);
    expect((await call("GET", comments(`/profiles/${nobody}/comments`))).body.comments).toHaveLength(1);
  });
});

describe("comments: listing", () => {
  let page: string;
  let posted: Array<{ commentId: string; message: string }>;
  beforeAll(async () => {
    const author = await newUser();
    page = randomUUID();
    posted = [];
    for (let index = 0; index < 7; index++)
      posted.push((await post(page, author.token, `comment ${index}`)).body);
  }, 60_000);

  test("pages newest first with nothing missing or repeated, and no nextToken after the last", async () => {
    const seen: string[] = [];
    let url = comments(`/profiles/${page}/comments?limit=3`);
    let pages = 0;
    for (;;) {
      const listed = await call("GET", url);
      expect(listed.status).toBe(200);
      pages++;
      seen.push(...listed.body.comments.map((comment: { message: string }) => comment.message));
      if (listed.body.nextToken === undefined) break;
      expect(listed.body.comments).toHaveLength(3);
      url = comments(
        `/profiles/${page}/comments?limit=3&nextToken=${encodeURIComponent(listed.body.nextToken)}`,
      );
      expect(pages).toBeLessThan(10);
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(posted.map((comment) => comment.message).reverse());
  });

  test("V1 and V2 answer over the same data: V1 is the seed article's plain array, unpaged", async () => {
    const v2 = await call("GET", comments(`/profiles/${page}/comments?limit=100`));
    const v1 = await call("GET", comments(`/v1/profiles/${page}/comments`));
    expect(v1.status).toBe(200);
    expect(Array.isArray(v1.body)).toBe(true);
    expect(v1.body).toEqual(
      v2.body.comments.map((comment: { commentId: string; authorName: string; message: string }) => ({
        commentId: comment.commentId,
        userName: comment.authorName,
        message: comment.message,
      })),
    );
    expect(v2.body.comments.length).toBe(7);
  });

  test.each([
    ["limit 0", "limit=0"],
    ["limit 101", "limit=101"],
    ["limit not a number", "limit=abc"],
    ["limit negative", "limit=-1"],
    ["nextToken not base64", "nextToken=not-a-token!"],
    ["nextToken of percent signs", "nextToken=%25%25%25"],
    [
      "nextToken naming another page",
      `nextToken=${Buffer.from("12345.abc.someone-else").toString("base64url")}`,
    ],
    ["nextToken far too long", `nextToken=${"A".repeat(2000)}`],
  ])("%s is a 400, never a 500", async (_what, query) => {
    const refused = await call("GET", comments(`/profiles/${page}/comments?${query}`));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: { code: "VALIDATION_ERROR", message: expect.any(String) } });
  });

  test("a nextToken from another page's listing is a 400 here", async () => {
    const first = await call("GET", comments(`/profiles/${page}/comments?limit=1`));
    const other = randomUUID();
    const foreign = await call(
      "GET",
      comments(`/profiles/${other}/comments?nextToken=${first.body.nextToken}`),
    );
    expect(foreign.status).toBe(400);
  });
});

describe("comments: deleting", () => {
  test("only the author may delete: someone else gets 403, a missing comment 404, the author 204", async () => {
    const author = await newUser();
    const other = await newUser();
    const page = randomUUID();
    const created = await post(page, author.token, "delete me");
    const url = comments(`/profiles/${page}/comments/${created.body.commentId}`);
    expect((await call("DELETE", url)).status).toBe(401);
    const forbidden = await call("DELETE", url, undefined, bearer(other.token));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe("FORBIDDEN");
    expect((await call("GET", comments(`/profiles/${page}/comments`))).body.comments).toHaveLength(1);
    const deleted = await call("DELETE", url, undefined, bearer(author.token));
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    const again = await call("DELETE", url, undefined, bearer(author.token));
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("NOT_FOUND");
    expect((await call("GET", comments(`/profiles/${page}/comments`))).body.comments).toEqual([]);
  });
});
