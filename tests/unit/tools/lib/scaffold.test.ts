import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CfnTemplate, parseCfnYaml } from "../../../../tools/lib/cfn-yaml";
import { ROOT } from "../../../../tools/lib/project";
import {
  addDashboardWidgets,
  addEventRows,
  addNestedStack,
  copyYamlBlocks,
  namesOf,
  renamer,
} from "../../../../tools/lib/scaffold";

const from = namesOf("location");
const to = namesOf("hello");
const rename = renamer(from, to);

describe("npm run new-service's text edits", () => {
  test("the model's name becomes the new one in every spelling; the Location: property key stays", () => {
    expect(rename("LocationsTable location LOCATION_TABLE_NAME /locations/{userId}")).toBe(
      "HellosTable hello HELLO_TABLE_NAME /hellos/{userId}",
    );
    expect(rename("    Properties:\n      Location: src/location/template.yaml")).toBe(
      "    Properties:\n      Location: src/hello/template.yaml",
    );
  });

  test("a YAML block is followed by its renamed copy, nested lines and comments included", () => {
    const text = ["services:", "  location:", "    # why", "    Ttl: 2", "  profile:", "    Ttl: 1"].join(
      "\n",
    );
    expect(copyYamlBlocks(text, /^ +location:$/, rename).split("\n")).toEqual([
      "services:",
      "  location:",
      "    # why",
      "    Ttl: 2",
      "  hello:",
      "    # why",
      "    Ttl: 2",
      "  profile:",
      "    Ttl: 1",
    ]);
  });

  test("the nested stack goes before the one deploy order puts after it", () => {
    const text = [
      "Resources:",
      "  LocationService:",
      "    Type: X",
      "",
      "  ProfileService:",
      "    Type: Y",
      "",
    ].join("\n");
    const added = addNestedStack(text, from, namesOf("location"), rename).split("\n");
    expect(added.slice(0, 5)).toEqual([
      "Resources:",
      "  HelloService:",
      "    Type: X",
      "",
      "  LocationService:",
    ]);
    const last = addNestedStack(text, from, undefined, rename).split("\n");
    expect(last.slice(1, 6)).toEqual([
      "  LocationService:",
      "    Type: X",
      "",
      "  HelloService:",
      "    Type: X",
    ]);
  });

  test("ops' dashboard gets the model's widgets below all others and its series in the shared widgets", () => {
    const template = readFileSync(join(ROOT, "src", "ops", "template.yaml"), "utf8");
    type Body = {
      widgets: Array<{ y: number; height: number; properties: { title?: string; metrics: unknown[][] } }>;
    };
    const body = (text: string): Body => {
      const parsed = parseCfnYaml(text) as CfnTemplate;
      const sub = parsed.Resources.Dashboard?.Properties?.DashboardBody as { "Fn::Sub": string };
      return JSON.parse(sub["Fn::Sub"]) as Body;
    };
    const before = body(template);
    const after = body(addDashboardWidgets(template, from, rename));
    const bottom = Math.max(...before.widgets.map((widget) => widget.y + widget.height));
    const added = after.widgets.slice(before.widgets.length);
    expect(added.map((widget) => widget.properties.title)).toEqual(
      before.widgets
        .filter((w) => (w.properties.title ?? "").startsWith("Location: "))
        .map((w) => w.properties.title?.replace("Location", "Hello")),
    );
    expect(Math.min(...added.map((widget) => widget.y))).toBe(bottom);
    const coldStarts = after.widgets.find((widget) => widget.properties.title === "Cold starts");
    expect(JSON.stringify(coldStarts?.properties.metrics)).toContain('"ColdStart","service","hello"');
  });

  test("events/README.md: the model's rows are copied after the last of them", () => {
    const text = [
      "| `npm run invoke -- PutLocationFunction --event events/PutLocationFunction.json` | 200 | a |",
      "| `npm run invoke -- GetLocationFunction --event events/GetLocationFunction.json` | 200 | b |",
      "| `npm run invoke -- GetProfileFunction --event events/GetProfileFunction.json` | 200 | c |",
    ].join("\n");
    expect(
      addEventRows(text, from, rename)
        .split("\n")
        .map((line) => line.split(" ")[5]),
    ).toEqual([
      "PutLocationFunction",
      "GetLocationFunction",
      "PutHelloFunction",
      "GetHelloFunction",
      "GetProfileFunction",
    ]);
  });
});
