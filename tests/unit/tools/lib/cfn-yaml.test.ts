// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub strings are CloudFormation syntax, not template literals
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCfnYaml } from "../../../../tools/lib/cfn-yaml";
import { ROOT } from "../../../../tools/lib/project";

const CACHE_DIR = join(ROOT, "node_modules", ".cache", "cfn-yaml");

/** A template text no other test parses, so the first parse here is a cache miss. */
function freshTemplate(): string {
  return [
    `Description: cfn-yaml cache ${randomUUID()}`,
    "Resources:",
    "  Queue:",
    "    Type: AWS::SQS::Queue",
    "    Properties:",
    "      QueueName: !Sub ${AWS::StackName}-queue",
    "      Tags: [{ Key: arn, Value: !GetAtt Topic.TopicArn }]",
    "",
  ].join("\n");
}

function cacheFiles(): Map<string, number> {
  return new Map(readdirSync(CACHE_DIR).map((name) => [name, statSync(join(CACHE_DIR, name)).mtimeMs]));
}

test("a text parsed again comes from the cache, equal to the first parse and a copy of its own", () => {
  const text = freshTemplate();
  const first = parseCfnYaml(text) as { Resources: { Queue: { Properties: Record<string, unknown> } } };
  const cachedAfterFirst = cacheFiles();
  const second = parseCfnYaml(text);

  expect(second).toEqual(first);
  expect(second).not.toBe(first);
  expect(first.Resources.Queue.Properties.QueueName).toEqual({ "Fn::Sub": "${AWS::StackName}-queue" });
  expect(first.Resources.Queue.Properties.Tags).toEqual([
    { Key: "arn", Value: { "Fn::GetAtt": ["Topic", "TopicArn"] } },
  ]);
  // The second parse wrote nothing: it read the file the first one left.
  expect(cacheFiles()).toEqual(cachedAfterFirst);

  first.Resources.Queue.Properties.QueueName = "changed by a caller";
  expect(parseCfnYaml(text)).toEqual(second);
});

test("invalid YAML fails every time, never cached as a result", () => {
  const broken = `${freshTemplate()}  Bad: [unclosed\n`;
  expect(() => parseCfnYaml(broken)).toThrow();
  expect(() => parseCfnYaml(broken)).toThrow();
});

test("a cache miss removes entries written over a day ago and keeps the recent ones", () => {
  const recent = freshTemplate();
  parseCfnYaml(recent);
  const recentFiles = [...cacheFiles()]
    .filter(([, writtenAt]) => Date.now() - writtenAt < 60_000)
    .map(([name]) => name);
  const old = join(CACHE_DIR, `${"0".repeat(64)}.json`);
  writeFileSync(old, "{}");
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60_000);
  utimesSync(old, twoDaysAgo, twoDaysAgo);

  parseCfnYaml(freshTemplate());

  expect(existsSync(old)).toBe(false);
  for (const name of recentFiles) expect(existsSync(join(CACHE_DIR, name))).toBe(true);
  expect(recentFiles.length).toBeGreaterThan(0);
});
