import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { ROOT } from "../../tools/lib/project";

// tests/unit mirrors the code: tests/unit/<area>/... tests src/<area>/..., and
// tests/unit/tools/... tests tools/..., so a module's tests are where its path says
// (a folder may also stand for one module: tests/unit/shared/observability/).
function directories(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isDirectory())
    .flatMap((path) => [path, ...directories(path)]);
}

test("every folder under tests/unit names a folder (or module) of src/ or tools/", () => {
  const unit = join(ROOT, "tests", "unit");
  const folders = directories(unit).map((path) => relative(unit, path));
  expect(folders.length).toBeGreaterThan(0);
  const unmirrored = folders.filter((folder) => {
    const code = folder === "tools" || folder.startsWith("tools/") ? folder : join("src", folder);
    return !existsSync(join(ROOT, code)) && !existsSync(join(ROOT, `${code}.ts`));
  });
  expect(unmirrored).toEqual([]);
});

const LOOPS_AND_CALLBACKS = new Set([
  ts.SyntaxKind.ForStatement,
  ts.SyntaxKind.ForOfStatement,
  ts.SyntaxKind.ForInStatement,
  ts.SyntaxKind.WhileStatement,
  ts.SyntaxKind.DoStatement,
  ts.SyntaxKind.IfStatement,
  ts.SyntaxKind.ConditionalExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.FunctionDeclaration,
]);

/** A test body asserts unconditionally when it calls expect(...) or an expect* helper outside any loop, branch or callback. */
function assertsUnconditionally(body: ts.Node): boolean {
  let found = false;
  const walk = (node: ts.Node): void => {
    if (found || (node !== body && LOOPS_AND_CALLBACKS.has(node.kind))) return;
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      /^expect([A-Z]\w*)?$/.test(node.expression.text)
    ) {
      found = true;
      return;
    }
    ts.forEachChild(node, walk);
  };
  walk(body);
  return found;
}

/** `it(...)`, `test(...)`, `it.each(...)(...)`, `test.concurrent(...)`: the test's callback, if the call is one. */
function testCallback(node: ts.CallExpression): ts.ArrowFunction | ts.FunctionExpression | undefined {
  const callee = ts.isCallExpression(node.expression) ? node.expression.expression : node.expression;
  if (!/^(it|test)(\.concurrent)?(\.each)?$/.test(callee.getText())) return undefined;
  if (ts.isCallExpression(node.expression) && !callee.getText().endsWith(".each")) return undefined;
  return node.arguments.find(
    (arg): arg is ts.ArrowFunction | ts.FunctionExpression =>
      ts.isArrowFunction(arg) || ts.isFunctionExpression(arg),
  );
}

test("a unit test whose assertions all sit in loops, branches or callbacks starts with expect.hasAssertions()", () => {
  const files = directories(join(ROOT, "tests", "unit"))
    .concat(join(ROOT, "tests", "unit"))
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith(".test.ts"))
        .map((name) => join(dir, name)),
    );
  expect(files.length).toBeGreaterThan(20);
  const unguarded = files.flatMap((file) => {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
      const callback = ts.isCallExpression(node) ? testCallback(node) : undefined;
      if (callback) {
        const guarded = /expect\.(hasAssertions|assertions)\(/.test(callback.body.getText());
        if (!guarded && !assertsUnconditionally(callback.body)) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          found.push(`${relative(ROOT, file)}:${line + 1}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  });
  expect(unguarded).toEqual([]);
});
