import { chmodSync, mkdirSync, readdirSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { join } from "node:path";
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { LOCAL_HOST } from "../constants";
import type { CallerLookup } from "../iam";
import { closeServer, type LogSink, listen, stackLog } from "../support";
import type { TableDefinition } from "../template";
import type { DynamoScope } from "./dynamodb-access";
import { startDynamoProxy } from "./dynamodb-proxy";

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
  /** The public endpoint (the proxy): what functions, the operator and tests use. */
  url: string;
  port: number;
  /** dynalite itself, on an ephemeral port; only the stack's own table management uses it. */
  internalUrl: string;
  close(): Promise<void>;
}

export interface StartDynamoOptions {
  /** The public port, the proxy's; dynalite always takes an ephemeral one. */
  port: number;
  path: string;
  /** Whose signatures are accepted, and whose identity policies apply. */
  callers: CallerLookup;
  scope: DynamoScope;
  log?: LogSink;
  /** How long a table stays CREATING/UPDATING; DynamoDB takes seconds, the local stack none. */
  tableTransitionMs?: number;
}

/**
 * dynalite on an internal port behind the SigV4-checking proxy
 * (dynamodb-proxy.ts), which takes the public port.
 */
export async function startDynamo(options: StartDynamoOptions): Promise<LocalDynamo> {
  mkdirSync(options.path, { recursive: true, mode: 0o700 });
  restrictToOwner(options.path);
  // dynalite opens LevelDB as soon as it is created, and cannot close it when its listen fails:
  // the proxy takes the public port first, so a taken port leaves no store writing into the data directory.
  // Filled in once dynalite listens; nothing reaches the proxy before the stack is up.
  const upstream: {
    host: string;
    port: number;
    handle?: (request: IncomingMessage, response: ServerResponse) => void;
  } = { host: LOCAL_HOST, port: 0 };
  const proxy = await startDynamoProxy({
    port: options.port,
    upstream,
    callers: options.callers,
    scope: options.scope,
    log: options.log,
  });
  const transitionMs = options.tableTransitionMs ?? 0;
  let server: Server;
  try {
    server = dynalite({
      path: options.path,
      createTableMs: transitionMs,
      deleteTableMs: transitionMs,
      updateTableMs: transitionMs,
    });
    upstream.port = await listen(server, 0, "DynamoDB (dynalite)", "--dynamodb-port");
    const [handle] = server.listeners("request") as Array<
      (request: IncomingMessage, response: ServerResponse) => void
    >;
    if (handle) upstream.handle = handle;
  } catch (error) {
    await proxy.close();
    throw error;
  }
  return {
    url: proxy.url,
    port: proxy.port,
    internalUrl: `http://${LOCAL_HOST}:${upstream.port}`,
    close: async () => {
      await proxy.close();
      // dynalite's close also closes LevelDB, releasing its lock for the next start.
      await closeServer(server);
      restrictToOwner(options.path);
    },
  };
}

/**
 * The tables hold what users stored: like the secrets, readable by the owner only. The directory
 * is 0700 while LevelDB runs (it creates its files with the default mode); its files become 0600.
 */
function restrictToOwner(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) restrictToOwner(path);
    else chmodSync(path, 0o600);
  }
}

async function describe(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

function isActive(table: TableDescription | undefined): boolean {
  return (
    table?.TableStatus === "ACTIVE" &&
    (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === "ACTIVE")
  );
}

/**
 * dynalite answers CreateTable with CREATING and flips to ACTIVE on a later tick; until then
 * reads and writes get ResourceNotFoundException. The stack only reports ready once every
 * table (and index) can be used, as `aws dynamodb wait table-exists` would.
 */
async function waitUntilActive(client: DynamoDBClient, name: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isActive(await describe(client, name))) {
    if (Date.now() > deadline) throw new Error(`table ${name} did not become ACTIVE in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function keySignature(keys: Array<{ AttributeName?: string; KeyType?: string }> | undefined): string {
  return (keys ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(",");
}

/**
 * Creates each table that does not exist yet and waits until it is usable. An
 * existing table keeps its data; one that no longer matches its template (a
 * changed key schema, which CloudFormation answers by replacing the table, or a
 * new global index) stops the start with the fix, rather than failing requests later.
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
      await waitUntilActive(client, name);
      stackLog(log, "DEBUG", `created table ${name}`, { service });
      continue;
    }
    if (keySignature(existing.KeySchema) !== keySignature(table.input.KeySchema)) {
      throw new Error(
        `table ${name} exists with a different key schema than its template; restart with --reset to recreate it (this wipes local data)`,
      );
    }
    // dynalite's UpdateTable cannot create a global index, so a template that gained one
    // needs a fresh store; DynamoDB itself would backfill the index in place.
    const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const missing = (table.input.GlobalSecondaryIndexes ?? [])
      .map((index) => index.IndexName)
      .filter((indexName) => !present.has(indexName));
    if (missing.length > 0) {
      throw new Error(
        `table ${name} lacks index ${missing.join(", ")}, which the local store cannot add to an existing table; restart with --reset to recreate it (this wipes local data)`,
      );
    }
  }
}
