import type { AccessCheck } from "../iam";

/**
 * What IAM authorizes for one DynamoDB request: the action and the resource
 * ARN of every part of it, read from the operation (X-Amz-Target) and its
 * JSON input, as DynamoDB documents it:
 * - item and table operations: `dynamodb:<Operation>` on the table
 *   (`arn:<partition>:dynamodb:<region>:<account>:table/<TableName>`), on
 *   `.../table/<TableName>/index/<IndexName>` for a Query or Scan of an index;
 * - BatchGetItem and BatchWriteItem: their own action on every table named;
 * - TransactGetItems / TransactWriteItems: no action of their own, each part
 *   needs the action behind it (Get -> GetItem, Put -> PutItem, Update ->
 *   UpdateItem, Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem);
 * - PartiQL (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction):
 *   dynamodb:PartiQLSelect/Insert/Update/Delete on the table (or index) each
 *   statement names;
 * - ListTables, DescribeLimits, DescribeEndpoints: `*`.
 * A table given as an ARN (which DynamoDB accepts in TableName) is used as is.
 * A statement whose table cannot be read is checked on `*`, so only a grant on
 * every resource covers it. Undefined when the input names no resource at all
 * (no TableName, say): DynamoDB rejects such a request before authorizing it,
 * and so does the local store.
 */

export interface DynamoScope {
  partition: string;
  region: string;
  accountId: string;
}

type Input = Record<string, unknown>;

function isMap(value: unknown): value is Input {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function tableArn(scope: DynamoScope, table: string, indexName?: string): string {
  const base = table.startsWith("arn:")
    ? table
    : `arn:${scope.partition}:dynamodb:${scope.region}:${scope.accountId}:table/${table}`;
  return indexName === undefined ? base : `${base}/index/${indexName}`;
}

const ACCOUNT_LEVEL = new Set([
  "ListTables",
  "DescribeLimits",
  "DescribeEndpoints",
  "ListBackups",
  "ListExports",
  "ListImports",
  "ListGlobalTables",
  "DescribeReservedCapacity",
  "DescribeReservedCapacityOfferings",
]);

/** Query, Scan and vector searches read an index when they name one. */
const INDEX_READS = new Set(["Query", "Scan", "SearchVectors"]);

const TRANSACT_WRITE_PARTS: Record<string, string> = {
  Put: "dynamodb:PutItem",
  Update: "dynamodb:UpdateItem",
  Delete: "dynamodb:DeleteItem",
  ConditionCheck: "dynamodb:ConditionCheckItem",
};

// A PartiQL name: "quoted" (with "" for a quote) or a bare identifier.
const NAME = `("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)`;
const PARTIQL: Array<{ verb: string; pattern: RegExp }> = [
  {
    verb: "Select",
    pattern: new RegExp(String.raw`^\s*SELECT\s[\s\S]*?\sFROM\s+${NAME}(?:\s*\.\s*${NAME})?`, "i"),
  },
  { verb: "Insert", pattern: new RegExp(String.raw`^\s*INSERT\s+INTO\s+${NAME}`, "i") },
  { verb: "Update", pattern: new RegExp(String.raw`^\s*UPDATE\s+${NAME}`, "i") },
  { verb: "Delete", pattern: new RegExp(String.raw`^\s*DELETE\s+FROM\s+${NAME}`, "i") },
];

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
}

/** The PartiQL action and table (or index) of one statement; `*` when the table cannot be read. */
export function partiqlCheck(scope: DynamoScope, statement: unknown): AccessCheck {
  const text = typeof statement === "string" ? statement : "";
  for (const { verb, pattern } of PARTIQL) {
    const match = pattern.exec(text);
    if (match?.[1]) {
      return {
        action: `dynamodb:PartiQL${verb}`,
        resource: tableArn(scope, unquote(match[1]), match[2] === undefined ? undefined : unquote(match[2])),
      };
    }
  }
  const verb = /^\s*(SELECT|INSERT|UPDATE|DELETE)\b/i.exec(text)?.[1]?.toLowerCase();
  const action = verb
    ? `dynamodb:PartiQL${verb.charAt(0).toUpperCase()}${verb.slice(1)}`
    : "dynamodb:PartiQLSelect";
  return { action, resource: "*" };
}

export function dynamoAccessChecks(
  operation: string,
  input: Input,
  scope: DynamoScope,
): AccessCheck[] | undefined {
  const action = `dynamodb:${operation}`;
  const table = (name: unknown, index?: unknown): AccessCheck | undefined => {
    const tableName = nonEmpty(name);
    return tableName === undefined
      ? undefined
      : { action, resource: tableArn(scope, tableName, nonEmpty(index)) };
  };
  switch (operation) {
    case "BatchGetItem":
    case "BatchWriteItem": {
      if (!isMap(input.RequestItems)) return undefined;
      const tables = Object.keys(input.RequestItems);
      return tables.length === 0
        ? undefined
        : tables.map((name) => ({ action, resource: tableArn(scope, name) }));
    }
    case "TransactGetItems":
    case "TransactWriteItems": {
      if (!Array.isArray(input.TransactItems) || input.TransactItems.length === 0) return undefined;
      const parts = operation === "TransactGetItems" ? { Get: "dynamodb:GetItem" } : TRANSACT_WRITE_PARTS;
      const checks: AccessCheck[] = [];
      for (const item of input.TransactItems) {
        if (!isMap(item)) return undefined;
        for (const [part, partAction] of Object.entries(parts)) {
          const detail = item[part];
          if (detail === undefined) continue;
          const name = isMap(detail) ? nonEmpty(detail.TableName) : undefined;
          if (name === undefined) return undefined;
          checks.push({ action: partAction, resource: tableArn(scope, name) });
        }
      }
      return checks.length === 0 ? undefined : checks;
    }
    case "ExecuteStatement":
      return nonEmpty(input.Statement) === undefined ? undefined : [partiqlCheck(scope, input.Statement)];
    case "BatchExecuteStatement":
      return partiqlChecks(scope, input.Statements);
    case "ExecuteTransaction":
      return partiqlChecks(scope, input.TransactStatements);
    case "ExportTableToPointInTime": {
      const arn = nonEmpty(input.TableArn);
      return arn === undefined ? undefined : [{ action, resource: arn }];
    }
    case "DescribeExport": {
      const arn = nonEmpty(input.ExportArn);
      return arn === undefined ? undefined : [{ action, resource: arn }];
    }
    default: {
      if (ACCOUNT_LEVEL.has(operation)) return [{ action, resource: "*" }];
      const check = table(input.TableName, INDEX_READS.has(operation) ? input.IndexName : undefined);
      if (check) return [check];
      // Tagging and resource policies name the table (or index, or stream) by its ARN.
      const arn = nonEmpty(input.ResourceArn) ?? nonEmpty(input.StreamArn) ?? nonEmpty(input.BackupArn);
      return arn === undefined ? undefined : [{ action, resource: arn }];
    }
  }
}

function partiqlChecks(scope: DynamoScope, list: unknown): AccessCheck[] | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.map((entry) => partiqlCheck(scope, isMap(entry) ? entry.Statement : undefined));
}
