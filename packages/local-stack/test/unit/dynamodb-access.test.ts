import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchExecuteStatementCommand,
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DescribeExportCommand,
  DynamoDBDocumentClient,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  ExportTableToPointInTimeCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  SearchVectorsCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { dynamoAccessChecks, partiqlCheck, tableArn } from "../../src/services/dynamodb-access";

/*
 * The operation -> (action, resources) mapping, fed with what the SDK's
 * document client actually puts on the wire for each of its commands.
 */

const scope = { partition: "aws", region: "us-east-1", accountId: "000000000000" };
const ARN = "arn:aws:dynamodb:us-east-1:000000000000:table";
const USERS = `${ARN}/Users`;
const PROFILES = `${ARN}/Profiles`;

class Captured extends Error {
  constructor(
    readonly operation: string,
    readonly input: Record<string, unknown>,
  ) {
    super("captured");
  }
}

// A request handler that keeps the request and never sends it.
const documents = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIATEST", secretAccessKey: "test" },
    maxAttempts: 1,
    requestHandler: {
      async handle(request: { headers: Record<string, string>; body?: unknown }) {
        const target = request.headers["x-amz-target"] ?? "";
        const { body } = request;
        const text = typeof body === "string" ? body : new TextDecoder().decode(body as Uint8Array);
        throw new Captured(target.split(".")[1] ?? target, JSON.parse(text || "{}"));
      },
    },
  }),
);

afterAll(() => documents.destroy());

// biome-ignore lint/suspicious/noExplicitAny: any document client command
async function wire(command: any): Promise<Captured> {
  try {
    await documents.send(command);
  } catch (error) {
    if (error instanceof Captured) return error;
    throw error;
  }
  throw new Error("the request was sent");
}

// biome-ignore lint/suspicious/noExplicitAny: any document client command
async function checksOf(command: any): Promise<unknown> {
  const { operation, input } = await wire(command);
  return dynamoAccessChecks(operation, input, scope);
}

describe("every document client command", () => {
  test("Get, Put, Update, Delete: their own action on the table", async () => {
    expect(await checksOf(new GetCommand({ TableName: "Users", Key: { pk: "a" } }))).toEqual([
      { action: "dynamodb:GetItem", resource: USERS },
    ]);
    expect(await checksOf(new PutCommand({ TableName: "Users", Item: { pk: "a" } }))).toEqual([
      { action: "dynamodb:PutItem", resource: USERS },
    ]);
    expect(
      await checksOf(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "a" },
          UpdateExpression: "SET n = :n",
          ExpressionAttributeValues: { ":n": 1 },
        }),
      ),
    ).toEqual([{ action: "dynamodb:UpdateItem", resource: USERS }]);
    expect(await checksOf(new DeleteCommand({ TableName: "Users", Key: { pk: "a" } }))).toEqual([
      { action: "dynamodb:DeleteItem", resource: USERS },
    ]);
  });

  test("Query and Scan: the table, or the index they name", async () => {
    const query = { KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "a" } };
    expect(await checksOf(new QueryCommand({ TableName: "Users", ...query }))).toEqual([
      { action: "dynamodb:Query", resource: USERS },
    ]);
    expect(await checksOf(new QueryCommand({ TableName: "Users", IndexName: "byOwner", ...query }))).toEqual([
      { action: "dynamodb:Query", resource: `${USERS}/index/byOwner` },
    ]);
    expect(await checksOf(new ScanCommand({ TableName: "Users" }))).toEqual([
      { action: "dynamodb:Scan", resource: USERS },
    ]);
    expect(await checksOf(new ScanCommand({ TableName: "Users", IndexName: "byOwner" }))).toEqual([
      { action: "dynamodb:Scan", resource: `${USERS}/index/byOwner` },
    ]);
    expect(
      await checksOf(
        new SearchVectorsCommand({ TableName: "Users", IndexName: "vectors", SearchVector: [1, 2], TopK: 3 }),
      ),
    ).toEqual([{ action: "dynamodb:SearchVectors", resource: `${USERS}/index/vectors` }]);
  });

  test("BatchGet and BatchWrite: their own action on every table", async () => {
    expect(
      await checksOf(
        new BatchGetCommand({
          RequestItems: { Users: { Keys: [{ pk: "a" }] }, Profiles: { Keys: [{ userId: "a" }] } },
        }),
      ),
    ).toEqual([
      { action: "dynamodb:BatchGetItem", resource: USERS },
      { action: "dynamodb:BatchGetItem", resource: PROFILES },
    ]);
    expect(
      await checksOf(
        new BatchWriteCommand({
          RequestItems: {
            Users: [{ PutRequest: { Item: { pk: "a" } } }],
            Profiles: [{ DeleteRequest: { Key: { userId: "a" } } }],
          },
        }),
      ),
    ).toEqual([
      { action: "dynamodb:BatchWriteItem", resource: USERS },
      { action: "dynamodb:BatchWriteItem", resource: PROFILES },
    ]);
  });

  test("TransactGet and TransactWrite: each part needs the action behind it", async () => {
    expect(
      await checksOf(
        new TransactGetCommand({
          TransactItems: [
            { Get: { TableName: "Users", Key: { pk: "a" } } },
            { Get: { TableName: "Profiles", Key: { userId: "a" } } },
          ],
        }),
      ),
    ).toEqual([
      { action: "dynamodb:GetItem", resource: USERS },
      { action: "dynamodb:GetItem", resource: PROFILES },
    ]);
    expect(
      await checksOf(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: "Users", Item: { pk: "a" } } },
            {
              Update: {
                TableName: "Profiles",
                Key: { userId: "a" },
                UpdateExpression: "SET v = :v",
                ExpressionAttributeValues: { ":v": 2 },
              },
            },
            { Delete: { TableName: "Users", Key: { pk: "b" } } },
            {
              ConditionCheck: {
                TableName: "Profiles",
                Key: { userId: "b" },
                ConditionExpression: "attribute_exists(userId)",
              },
            },
          ],
        }),
      ),
    ).toEqual([
      { action: "dynamodb:PutItem", resource: USERS },
      { action: "dynamodb:UpdateItem", resource: PROFILES },
      { action: "dynamodb:DeleteItem", resource: USERS },
      { action: "dynamodb:ConditionCheckItem", resource: PROFILES },
    ]);
  });

  test("PartiQL: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction", async () => {
    expect(
      await checksOf(
        new ExecuteStatementCommand({ Statement: 'SELECT * FROM "Users" WHERE pk = ?', Parameters: ["a"] }),
      ),
    ).toEqual([{ action: "dynamodb:PartiQLSelect", resource: USERS }]);
    expect(
      await checksOf(
        new BatchExecuteStatementCommand({
          Statements: [
            { Statement: "INSERT INTO \"Users\" VALUE {'pk': ?}", Parameters: ["a"] },
            { Statement: "UPDATE Profiles SET v = 1 WHERE userId = ?", Parameters: ["a"] },
          ],
        }),
      ),
    ).toEqual([
      { action: "dynamodb:PartiQLInsert", resource: USERS },
      { action: "dynamodb:PartiQLUpdate", resource: PROFILES },
    ]);
    expect(
      await checksOf(
        new ExecuteTransactionCommand({
          TransactStatements: [
            { Statement: 'DELETE FROM "Users" WHERE pk = ?', Parameters: ["a"] },
            { Statement: 'select pk from "Users"."byOwner" where owner = ?', Parameters: ["b"] },
          ],
        }),
      ),
    ).toEqual([
      { action: "dynamodb:PartiQLDelete", resource: USERS },
      { action: "dynamodb:PartiQLSelect", resource: `${USERS}/index/byOwner` },
    ]);
  });

  test("exports: the table's ARN, the export's ARN", async () => {
    expect(
      await checksOf(new ExportTableToPointInTimeCommand({ TableArn: USERS, S3Bucket: "bucket" })),
    ).toEqual([{ action: "dynamodb:ExportTableToPointInTime", resource: USERS }]);
    const exportArn = `${USERS}/export/01234567890123-abcdefgh`;
    expect(await checksOf(new DescribeExportCommand({ ExportArn: exportArn }))).toEqual([
      { action: "dynamodb:DescribeExport", resource: exportArn },
    ]);
  });
});

describe("the rest of the mapping", () => {
  test("ListTables and other account-level calls are on *; table calls on the table; tags on the ARN", () => {
    expect(dynamoAccessChecks("ListTables", {}, scope)).toEqual([
      { action: "dynamodb:ListTables", resource: "*" },
    ]);
    expect(dynamoAccessChecks("DescribeTable", { TableName: "Users" }, scope)).toEqual([
      { action: "dynamodb:DescribeTable", resource: USERS },
    ]);
    expect(dynamoAccessChecks("TagResource", { ResourceArn: USERS, Tags: [] }, scope)).toEqual([
      { action: "dynamodb:TagResource", resource: USERS },
    ]);
  });

  test("a table given by its ARN is used as is", () => {
    const elsewhere = "arn:aws:dynamodb:eu-west-1:111111111111:table/Users";
    expect(dynamoAccessChecks("GetItem", { TableName: elsewhere, Key: {} }, scope)).toEqual([
      { action: "dynamodb:GetItem", resource: elsewhere },
    ]);
    expect(tableArn(scope, elsewhere, "byOwner")).toBe(`${elsewhere}/index/byOwner`);
  });

  test("an index on an item read is not an index read: GetItem stays on the table", () => {
    expect(dynamoAccessChecks("GetItem", { TableName: "Users", IndexName: "byOwner" }, scope)).toEqual([
      { action: "dynamodb:GetItem", resource: USERS },
    ]);
  });

  test("an input that names no resource: nothing to authorize (DynamoDB rejects it first)", () => {
    expect(dynamoAccessChecks("GetItem", { Key: {} }, scope)).toBeUndefined();
    expect(dynamoAccessChecks("BatchWriteItem", { RequestItems: {} }, scope)).toBeUndefined();
    expect(
      dynamoAccessChecks("TransactWriteItems", { TransactItems: [{ Put: { Item: {} } }] }, scope),
    ).toBeUndefined();
  });

  test("a PartiQL statement whose table cannot be read is checked on *", () => {
    expect(partiqlCheck(scope, "SELECT * FROM")).toEqual({ action: "dynamodb:PartiQLSelect", resource: "*" });
    expect(partiqlCheck(scope, "EXISTS(SELECT * FROM Users)")).toEqual({
      action: "dynamodb:PartiQLSelect",
      resource: "*",
    });
    expect(partiqlCheck(scope, 'SELECT * FROM "we""ird"')).toEqual({
      action: "dynamodb:PartiQLSelect",
      resource: `${ARN}/we"ird`,
    });
  });
});
