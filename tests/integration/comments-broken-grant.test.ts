import { randomUUID } from "node:crypto";
import { SRC } from "../../tools/lib/project";
import { call as send } from "../support/json-call";
import { startTestStack, type TestStack } from "../support/local-stack";
import { copyServices, type ServiceCopy } from "../support/service-copy";

/*
 * A copy of the comments template whose listing role no longer grants dynamodb:Query: the
 * local stack signs the integration's Query as that role's session, the DynamoDB endpoint
 * refuses it with AWS's own AccessDeniedException, and the integration response turns that
 * into a 500 with no detail, as API Gateway would on AWS. Writing still works.
 */

const call = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
  send(method, url, {
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

let copy: ServiceCopy;
let stack: TestStack;

beforeAll(async () => {
  copy = copyServices(SRC, {
    comments: (template) => {
      const role = template.Resources.CommentsReaderRole?.Properties as {
        Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: string[] }> } }>;
      };
      const statement = role.Policies[0]?.PolicyDocument.Statement[0];
      if (!statement?.Action.includes("dynamodb:Query")) throw new Error("expected the Query grant");
      statement.Action = statement.Action.filter((action) => action !== "dynamodb:Query");
      statement.Action.push("dynamodb:GetItem");
    },
  });
  stack = await startTestStack({ srcDir: copy.srcDir, services: ["comments"] });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  copy?.remove();
});

test("without the Query grant, listing fails as on AWS: DynamoDB's AccessDenied, a bare 500 to the client", async () => {
  const username = `user-${randomUUID().slice(0, 8)}`;
  const password = "correct horse battery staple";
  expect((await call("POST", `${stack.endpoints.auth}/users`, { username, password })).status).toBe(201);
  const token = (await call("POST", `${stack.endpoints.auth}/tokens`, { username, password })).body.token;
  const page = randomUUID();
  const posted = await call(
    "POST",
    `${stack.endpoints.comments}/profiles/${page}/comments`,
    { message: "still writable" },
    { Authorization: `Bearer ${token}` },
  );
  expect(posted.status).toBe(201);

  const listed = await call("GET", `${stack.endpoints.comments}/profiles/${page}/comments`);
  expect(listed.status).toBe(500);
  expect(listed.body).toEqual({ error: { code: "INTERNAL_ERROR", message: "Internal server error" } });
  const v1 = await call("GET", `${stack.endpoints.comments}/v1/profiles/${page}/comments`);
  expect(v1.status).toBe(500);

  const denial = stack.logs.findLast((entry) => entry.message.startsWith("DynamoDB Query denied"));
  expect(denial?.message).toMatch(
    /User: arn:aws:sts::\d+:assumed-role\/[^/]+CommentsReaderRole[^/]*\/BackplaneAssumeRoleSession is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:[^:]+:\d+:table\/meridian-local-comments-CommentsTable\/index\/ByCreatedAt because no identity-based policy allows the dynamodb:Query action/,
  );
});
