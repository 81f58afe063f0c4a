import { randomUUID } from "node:crypto";
import type { CfnTemplate } from "../../tools/lib/cfn-yaml";
import { SRC } from "../../tools/lib/project";
import { call } from "../support/json-call";
import { startTestStack, type TestStack } from "../support/local-stack";
import { copyServices, type ServiceCopy } from "../support/service-copy";

/*
 * The real services on copies of their templates, each missing one grant its
 * function needs: what `sam deploy` would have shown, shown locally instead.
 * The originals are not touched.
 */

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** The statements of a function's first `Policies` document. */
function statements(template: CfnTemplate, logicalId: string): Statement[] {
  const policies = template.Resources[logicalId]?.Properties?.Policies as
    | Array<{ Statement: Statement[] }>
    | undefined;
  const found = policies?.[0]?.Statement;
  if (!found) throw new Error(`${logicalId} has no Policies[0].Statement`);
  return found;
}

function statementWith(template: CfnTemplate, logicalId: string, action: string): Statement {
  const found = statements(template, logicalId).find((statement) =>
    ([] as string[]).concat(statement.Action).includes(action),
  );
  if (!found) throw new Error(`${logicalId} grants no ${action}`);
  return found;
}

let copy: ServiceCopy;
let stack: TestStack;
const json = { "content-type": "application/json" };

beforeAll(async () => {
  copy = copyServices(SRC, {
    // Login counts every attempt with UpdateItem before it checks the password.
    auth: (template) => {
      const statement = statementWith(template, "LoginFunction", "dynamodb:UpdateItem");
      statement.Action = ([] as string[])
        .concat(statement.Action)
        .filter((action) => action !== "dynamodb:UpdateItem");
    },
    // The location registrar may read its API, but no longer its stage (its nested template, location's copy alone).
    location: (_template, nested) =>
      nested("Registrar", (registrar) => {
        const statement = statementWith(registrar, "RegistrarFunction", "apigateway:GET");
        const resources = statement.Resource as unknown[];
        if (resources.length !== 2) throw new Error("expected the API and its stage");
        statement.Resource = [resources[0]];
      }),
  });
  stack = await startTestStack({ srcDir: copy.srcDir });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  copy?.remove();
});

test("without dynamodb:UpdateItem, POST /tokens answers 500 and Login's log shows AccessDeniedException", async () => {
  const credentials = JSON.stringify({
    username: `nu-${randomUUID().slice(0, 8)}`,
    password: "correct horse battery staple",
  });
  // Registering needs only PutItem, which RegisterFunction still has.
  expect(
    (await call("POST", `${stack.endpoints.auth}/users`, { body: credentials, headers: json })).status,
  ).toBe(201);

  const from = stack.logs.length;
  const login = await call("POST", `${stack.endpoints.auth}/tokens`, { body: credentials, headers: json });
  expect(login.status).toBe(500);
  // The client sees no detail, as on AWS.
  expect(login.text).not.toMatch(/AccessDenied|UpdateItem/);

  const handlerError = stack.logs
    .slice(from)
    .find(
      (entry) => entry.source === "function" && entry.function === "LoginFunction" && entry.level === "ERROR",
    );
  expect(JSON.stringify(handlerError?.fields)).toMatch(
    /AccessDeniedException.*User: arn:aws:sts::000000000000:assumed-role\/meridian-local-auth-LoginFunctionRole\/meridian-local-auth-LoginFunction is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/meridian-local-auth-UsersTable because no identity-based policy allows the dynamodb:UpdateItem action/,
  );
  const denial = stack.logs
    .slice(from)
    .find((entry) => entry.message.startsWith("DynamoDB UpdateItem denied"));
  expect(denial?.fields).toMatchObject({ function: "auth/LoginFunction" });
});

test("without apigateway:GET on its stage, the location registrar's run fails and location is not registered", async () => {
  const runs = await stack.runSchedules();
  const failed = runs.filter((run) => !run.outcome.ok);
  expect(failed.map((run) => run.functionId)).toEqual(["location/RegistrarFunction"]);
  const outcome = failed[0]?.outcome;
  const error = outcome && !outcome.ok ? outcome.error : undefined;
  expect(error?.errorType).toBe("AccessDeniedException");
  expect(error?.errorMessage).toMatch(
    /^User: arn:aws:sts::000000000000:assumed-role\/meridian-local-location-Registrar-RegistrarFunctionRole\/meridian-local-location-registrar is not authorized to perform: apigateway:GET on resource: arn:aws:apigateway:us-east-1::\/restapis\/[a-z0-9]{10}\/stages\/local because no identity-based policy allows the apigateway:GET action$/,
  );
  // A refused check is not a missing part: the registrar neither registers nor deregisters location.
  expect((await call("GET", `${stack.endpoints.catalog}/catalog/location/v1`)).status).toBe(404);
  for (const service of ["auth", "catalog", "profile"]) {
    const found = await call("GET", `${stack.endpoints.catalog}/catalog/${service}/v1`);
    expect({ service, status: found.status, health: found.body?.status }).toEqual({
      service,
      status: 200,
      health: "healthy",
    });
  }
});
