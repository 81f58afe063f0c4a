import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { type LogSink, stackLog } from "./logs";
import type { TableDefinition } from "./model";
import { closeServer, HOST, listen } from "./ports";

/** The embedded DynamoDB-compatible store (dynalite on LevelDB) and table creation from templates. */

type DynaliteFactory = (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

// dynalite ships no type declarations.
const dynalite = require("dynalite") as DynaliteFactory;

export interface LocalDynamo {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startDynamo(options: { port: number; path: string }): Promise<LocalDynamo> {
  mkdirSync(options.path, { recursive: true });
  // dynalite opens LevelDB as soon as it is created, and cannot close it when its listen fails:
  // find a taken port first, so a failed start leaves no store writing into the data directory.
  if (options.port !== 0) {
    const probe = createServer();
    await listen(probe, options.port, "DynamoDB (dynalite)", "--dynamodb-port");
    await closeServer(probe);
  }
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server, options.port, "DynamoDB (dynalite)", "--dynamodb-port");
  return {
    url: `http://${HOST}:${port}`,
    port,
    close: async () => {
      // dynalite's close also closes LevelDB, releasing its lock for the next start.
      await closeServer(server);
    },
  };
}

async function describe(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

function keySignature(keys: Array<{ AttributeName?: string; KeyType?: string }> | undefined): string {
  return (keys ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(",");
}

/**
 * Creates each table that does not exist yet. An existing table keeps its
 * data; a missing global index is added; a changed key schema (which
 * CloudFormation would answer by replacing the table) is reported.
 */
export async function ensureTables(
  client: DynamoDBClient,
  tables: TableDefinition[],
  log: LogSink,
  service: string,
): Promise<void> {
  for (const table of tables) {
    const name = table.input.TableName;
    const existing = await describe(client, name);
    if (!existing) {
      await client.send(new CreateTableCommand(table.input));
      stackLog(log, "DEBUG", `created table ${name}`, { service });
      continue;
    }
    if (keySignature(existing.KeySchema) !== keySignature(table.input.KeySchema)) {
      stackLog(
        log,
        "WARN",
        `table ${name} exists with a different key schema; restart with --reset to recreate it`,
        { service },
      );
      continue;
    }
    const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    for (const index of table.input.GlobalSecondaryIndexes ?? []) {
      if (present.has(index.IndexName)) continue;
      try {
        await client.send(
          new UpdateTableCommand({
            TableName: name,
            AttributeDefinitions: table.input.AttributeDefinitions,
            GlobalSecondaryIndexUpdates: [{ Create: index }],
          }),
        );
        stackLog(log, "INFO", `added index ${index.IndexName} to table ${name}`, { service });
      } catch (error) {
        stackLog(
          log,
          "WARN",
          `could not add index ${index.IndexName} to ${name}: ${(error as Error).message}; try --reset`,
          { service },
        );
      }
    }
  }
}
