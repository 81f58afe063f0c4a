import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as errors from "../../../src/shared/errors";
import { errorToResult } from "../../../src/shared/http";
import { loadServices, ROOT } from "../../../tools/lib/project";

/** One code style for handlers and API Gateway alike, and README's error table lists every code. */

const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every code a handler can answer with: each DomainError's, ValidationError's own codes, and the fallbacks. */
function handlerCodes(): string[] {
  const classes: unknown[] = Object.values(errors);
  const fromClasses = classes
    .filter(
      (value): value is new (message: string) => errors.DomainError =>
        typeof value === "function" &&
        value.prototype instanceof errors.DomainError &&
        // A dependency failing is answered as a plain 500 (INTERNAL_ERROR), never with its own code.
        value !== errors.DependencyError &&
        !(value.prototype instanceof errors.DependencyError),
    )
    .map((AppErrorClass) => new AppErrorClass("x").code);
  const custom = sourceFiles(join(ROOT, "src")).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/new ValidationError\([^;]*?,\s*"([^"]+)"\s*\)/gs)].map(
      (match) => match[1] ?? "",
    ),
  );
  const fallbacks = [errorToResult(new Error("x"))].map(
    (result) => (result.body as { error: { code: string } }).error.code,
  );
  return [...new Set([...fromClasses, ...custom, ...fallbacks])];
}

/** The `code` column of README's error table. */
function readmeCodes(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Errors"));
  return [...section.slice(0, section.indexOf("\n## ", 3)).matchAll(/^\| \d[\dx]{2} \| `([A-Z_]+)`/gm)].map(
    (match) => match[1] ?? "",
  );
}

test("every handler error code is UPPER_SNAKE, like API Gateway's response types", () => {
  const codes = handlerCodes();
  expect(codes.length).toBeGreaterThan(10);
  expect(codes.filter((code) => !UPPER_SNAKE.test(code))).toEqual([]);
});

test("README's error table lists every handler code", () => {
  const listed = new Set(readmeCodes());
  expect(handlerCodes().filter((code) => !listed.has(code))).toEqual([]);
});

test("both 413s have one code, and each message names its limit", () => {
  const tooLarge = errorToResult(new errors.PayloadTooLargeError("x"));
  expect(tooLarge.body).toMatchObject({ error: { code: "REQUEST_TOO_LARGE" } });
  const templates = loadServices()
    .map((service) => readFileSync(join(service.dir, "template.yaml"), "utf8"))
    .filter((text) => text.includes("GatewayResponses:"));
  expect(templates.length).toBeGreaterThan(0);
  for (const text of templates) {
    expect(text).toContain(
      `'{"error":{"code":"REQUEST_TOO_LARGE","message":"Request body is larger than API Gateway''s 10 MB limit"}}'`,
    );
  }
});
