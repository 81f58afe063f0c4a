import { type CfnTemplate, samProperties } from "../../../../tools/lib/cfn-yaml";
import { inlineNestedStacks } from "../../../../tools/lib/nested-stacks";

const ENV = "$" + "{Environment}";

const alarms: CfnTemplate = {
  Parameters: {
    Environment: { Type: "String" },
    FunctionName: { Type: "String" },
    Version: { Type: "String", Default: "" },
  },
  Conditions: { ShiftsTraffic: { "Fn::Not": [{ "Fn::Equals": [{ Ref: "Version" }, ""] }] } },
  Resources: {
    ErrorsAlarm: {
      Type: "AWS::CloudWatch::Alarm",
      Properties: {
        AlarmName: { "Fn::Sub": `meridian-${ENV}-\${FunctionName}-Errors` },
        Dimensions: [{ Name: "FunctionName", Value: { Ref: "FunctionName" } }],
      },
    },
    NewVersionErrorsAlarm: {
      Type: "AWS::CloudWatch::Alarm",
      Condition: "ShiftsTraffic",
      Properties: { Dimensions: [{ Name: "ExecutedVersion", Value: { Ref: "Version" } }] },
    },
  },
  Outputs: {
    NewVersionErrorsAlarm: { Condition: "ShiftsTraffic", Value: { Ref: "NewVersionErrorsAlarm" } },
  } as CfnTemplate["Outputs"],
};

const parent: CfnTemplate = {
  Globals: { Function: { Timeout: 10 } },
  Resources: {
    Fn: {
      Type: "AWS::Serverless::Function",
      Properties: {
        DeploymentPreference: { Alarms: [{ "Fn::GetAtt": ["FnAlarms", "Outputs.NewVersionErrorsAlarm"] }] },
      },
    },
    FnAlarms: {
      Type: "AWS::Serverless::Application",
      Properties: {
        Location: "alarms.yaml",
        Parameters: {
          Environment: { Ref: "Environment" },
          FunctionName: { Ref: "Fn" },
          Version: { "Fn::GetAtt": ["Fn", "Version.Version"] },
        },
      },
    },
    HookAlarms: {
      Type: "AWS::Serverless::Application",
      Properties: { Location: "alarms.yaml", Parameters: { Environment: "dev", FunctionName: "hook" } },
    },
  },
};

describe("inlineNestedStacks (a service's template with what it nests written in)", () => {
  const inlined = inlineNestedStacks(parent, {
    FnAlarms: { templatePath: "alarms.yaml", template: alarms },
    HookAlarms: { templatePath: "alarms.yaml", template: alarms },
  });

  test("nested resources are prefixed with their stack and read what the parent passes", () => {
    expect(inlined.Resources.FnAlarmsErrorsAlarm?.Properties).toEqual({
      // A passed !Ref reads as the same reference in a Sub.
      AlarmName: { "Fn::Sub": `meridian-${ENV}-\${Fn}-Errors` },
      Dimensions: [{ Name: "FunctionName", Value: { Ref: "Fn" } }],
    });
    expect(inlined.Resources.FnAlarmsNewVersionErrorsAlarm?.Properties).toEqual({
      Dimensions: [{ Name: "ExecutedVersion", Value: { "Fn::GetAtt": ["Fn", "Version.Version"] } }],
    });
    expect(inlined.Resources.HookAlarmsErrorsAlarm?.Properties?.AlarmName).toEqual({
      "Fn::Sub": "meridian-dev-hook-Errors",
    });
  });

  test("conditions are decided from the values passed; outputs replace !GetAtt <Nested>.Outputs", () => {
    // No Version passed: the hook's stack makes no rollback alarm.
    expect(inlined.Resources.HookAlarmsNewVersionErrorsAlarm).toBeUndefined();
    expect(inlined.Resources.Fn?.Properties?.DeploymentPreference).toEqual({
      Alarms: [{ Ref: "FnAlarmsNewVersionErrorsAlarm" }],
    });
  });

  test("the parent's Globals do not apply to what is written in", () => {
    expect(inlined.Resources.FnAlarmsErrorsAlarm?.Metadata).toEqual({ NestedStack: "FnAlarms" });
    expect(samProperties(inlined, "Fn").Timeout).toBe(10);
    const nestedFunction = {
      ...inlined,
      Resources: {
        Inner: { Type: "AWS::Serverless::Function", Metadata: { NestedStack: "X" }, Properties: {} },
      },
    };
    expect(samProperties(nestedFunction, "Inner").Timeout).toBeUndefined();
  });
});
