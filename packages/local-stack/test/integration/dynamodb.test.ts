import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { LocalCallers } from "../../src/iam/callers";
import { ensureTables, type LocalDynamo, startDynamo } from "../../src/services/dynamodb";
import type { TableDefinition } from "../../src/template/model";

const table = (withIndex: boolean): TableDefinition => ({
  logicalId: "ItemsTable",
  input: {
    TableName: "items",
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      ...(withIndex ? [{ AttributeName: "owner", AttributeType: "S" as const }] : []),
    ],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    ...(withIndex
      ? {
          GlobalSecondaryIndexes: [
            {
              IndexName: "byOwner",
              KeySchema: [{ AttributeName: "owner", KeyType: "HASH" }],
              Projection: { ProjectionType: "ALL" },
            },
          ],
        }
      : {}),
  },
});

describe("ensureTables on a store that takes time to create tables", () => {
  let dir: string;
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "meridian-dynamo-"));
    // Long enough that a read straight after CreateTable would land while the table is CREATING.
    const credentials = { accessKeyId: "AKIALOCALTEST", secretAccessKey: "local-secret" };
    dynamo = await startDynamo({
      port: 0,
      path: dir,
      tableTransitionMs: 150,
      callers: new LocalCallers(credentials),
      scope: { partition: "aws", region: "us-east-1", accountId: "000000000000" },
    });
    // Through the public endpoint (the signature-checking proxy), as the operator.
    client = new DynamoDBClient({ endpoint: dynamo.url, region: "us-east-1", credentials });
  });

  afterEach(async () => {
    client.destroy();
    await dynamo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("returns only once a new table can be read and written", async () => {
    await ensureTables(client, [table(false)], () => {}, "svc");
    await client.send(new PutItemCommand({ TableName: "items", Item: { pk: { S: "a" } } }));
    const read = await client.send(new GetItemCommand({ TableName: "items", Key: { pk: { S: "a" } } }));
    expect(read.Item?.pk?.S).toBe("a");
  });

  test("stops the start when a kept table no longer matches its template", async () => {
    await ensureTables(client, [table(false)], () => {}, "svc");
    await client.send(new PutItemCommand({ TableName: "items", Item: { pk: { S: "kept" } } }));
    await expect(ensureTables(client, [table(true)], () => {}, "svc")).rejects.toThrow(
      "table items lacks index byOwner, which the local store cannot add to an existing table; restart with --reset",
    );
    const rekeyed = table(false);
    rekeyed.input.KeySchema = [{ AttributeName: "id", KeyType: "HASH" }];
    rekeyed.input.AttributeDefinitions = [{ AttributeName: "id", AttributeType: "S" }];
    await expect(ensureTables(client, [rekeyed], () => {}, "svc")).rejects.toThrow(
      "table items exists with a different key schema than its template; restart with --reset",
    );
    // Nothing was dropped on the way.
    const read = await client.send(new GetItemCommand({ TableName: "items", Key: { pk: { S: "kept" } } }));
    expect(read.Item?.pk?.S).toBe("kept");
  });

  test("creates a table with its indexes ready to query", async () => {
    await ensureTables(client, [table(true)], () => {}, "svc");
    await client.send(
      new PutItemCommand({ TableName: "items", Item: { pk: { S: "a" }, owner: { S: "ann" } } }),
    );
    const found = await client.send(
      new QueryCommand({
        TableName: "items",
        IndexName: "byOwner",
        KeyConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#owner": "owner" },
        ExpressionAttributeValues: { ":owner": { S: "ann" } },
      }),
    );
    expect(found.Items?.map((item) => item.pk?.S)).toEqual(["a"]);
  });
});
