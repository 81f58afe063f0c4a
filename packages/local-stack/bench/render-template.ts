import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { GatewayInput, MappingTemplate, templateContext } from "../src/gateway/vtl";

/**
 * The cost of rendering one mapping template: the comments listing's response template over a
 * DynamoDB Query answer of 20 items, parsed once as the gateway does at start, rendered N times.
 */

const REPO = join(__dirname, "..", "..", "..");
const RENDERS = 5000;

function listingTemplate(): string {
  const text = readFileSync(join(REPO, "src", "comments", "template.yaml"), "utf8");
  // The template's intrinsics (!Sub, !GetAtt...) do not matter here: read them as plain values.
  const customTags = ["Sub", "GetAtt", "Ref", "If", "Equals"].map((name) => ({
    tag: `!${name}`,
    resolve: (value: unknown) => value,
  }));
  const template = parse(text, { customTags, logLevel: "error" }) as {
    Resources: {
      CommentsApi: { Properties: { DefinitionBody: { paths: Record<string, Record<string, unknown>> } } };
    };
  };
  const get = template.Resources.CommentsApi.Properties.DefinitionBody.paths["/profiles/{userId}/comments"]
    ?.get as {
    "x-amazon-apigateway-integration": {
      responses: { default: { responseTemplates: Record<string, string> } };
    };
  };
  const source =
    get["x-amazon-apigateway-integration"].responses.default.responseTemplates["application/json"];
  if (!source) throw new Error("no listing response template");
  return source;
}

const items = Array.from({ length: 20 }, (_, index) => ({
  profileUserId: { S: "user-1" },
  commentId: { S: `0000000${index}-aaaa-bbbb-cccc-dddddddddddd` },
  authorId: { S: "author-1" },
  authorName: { S: "bench" },
  message: { S: `comment ${index}: "quotes", 'apostrophes', </script> and 🙂` },
  createdAt: { N: String(1796118332123 + index) },
}));
const body = JSON.stringify({ Items: items, Count: 20, LastEvaluatedKey: items[19] });
const template = MappingTemplate.compile(listingTemplate());
const context = templateContext({
  requestId: "bench",
  requestTime: new Date(),
  accountId: "000000000000",
  apiId: "bench",
  stage: "local",
  httpMethod: "GET",
  resourcePath: "/profiles/{userId}/comments",
  path: "/profiles/user-1/comments",
  sourceIp: "127.0.0.1",
});
const render = () =>
  template.render({
    input: new GatewayInput(body, { path: { userId: "user-1" }, querystring: {}, header: {} }),
    context,
    stageVariables: { commentsTable: "bench" },
  });
if ((JSON.parse(render().body) as { comments: unknown[] }).comments.length !== 20)
  throw new Error("bad render");
for (let index = 0; index < 500; index++) render();
const started = process.hrtime.bigint();
for (let index = 0; index < RENDERS; index++) render();
const micros = Number(process.hrtime.bigint() - started) / 1000 / RENDERS;
process.stdout.write(
  `render the comments listing's response template (20 items), mean of ${RENDERS}: ${micros.toFixed(0)} µs\n`,
);
