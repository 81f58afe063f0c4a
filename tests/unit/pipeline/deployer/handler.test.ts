import { CodePipelineClient, PutJobSuccessResultCommand } from "@aws-sdk/client-codepipeline";
import { GetObjectCommand, type GetObjectCommandOutput, S3Client } from "@aws-sdk/client-s3";
import type { CodePipelineEvent, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createDeployerHandler } from "../../../../src/pipeline/deployer/handler";
import { TIME_RESERVE_MS } from "../../../../src/pipeline/deployer/job";
import {
  createDeployerClients,
  createDeployerDependenciesFromConfig,
} from "../../../../src/pipeline/deployer/wiring";
import { createZip } from "../../../../tools/lib/zip";
import { FakeCloudFormation } from "../../../support/fake-cloudformation";
import { captureOutput, testObservability } from "../../../support/handler-test";
import { FakeArtifactReader, FakePackageStore } from "./fakes";

/**
 * The deployer's entry point as its composition root builds it: a round of
 * the job per invocation, as long as Lambda's remaining time allows, over
 * clients made from the function's own configuration.
 */

const CONFIG = {
  AWS_REGION: "eu-west-1",
  ARTIFACT_BUCKET: "meridian-pipeline-artifacts",
  STACK_EXECUTION_ROLE_ARN: "arn:aws:iam::123456789012:role/meridian-pipeline-StackExecutionRole-X",
};
const CREDENTIALS = { accessKeyId: "AKIAJOB", secretAccessKey: "secret", sessionToken: "session" };
const output = captureOutput();
const { logger } = testObservability("pipeline-deployer");

function jobEvent(): CodePipelineEvent {
  return {
    "CodePipeline.job": {
      id: "11111111-2222-3333-4444-555555555555",
      accountId: "123456789012",
      data: {
        actionConfiguration: {
          configuration: {
            FunctionName: "meridian-pipeline-deployer",
            UserParameters: JSON.stringify({ environment: "dev" }),
          },
        },
        inputArtifacts: [
          {
            name: "BundleOutput",
            revision: null,
            location: {
              type: "S3",
              s3Location: { bucketName: "pipeline-bucket", objectKey: "meridian/abc.zip" },
            },
          },
        ],
        outputArtifacts: [],
        artifactCredentials: CREDENTIALS,
      },
    },
  };
}

const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as Context;

describe("the deployer handler", () => {
  let cfn: FakeCloudFormation;
  const codepipeline = mockClient(CodePipelineClient);

  beforeEach(() => {
    cfn = new FakeCloudFormation({ changeSetDelay: 0, stackDelay: 0 });
    codepipeline.reset();
    codepipeline.on(PutJobSuccessResultCommand).resolves({});
  });
  afterEach(() => cfn.restore());
  afterAll(() => codepipeline.restore());

  async function invokeWith(remainingMs: number): Promise<{ changeSets: number; continuing: boolean }> {
    const handler = createDeployerHandler({
      logger,
      codepipeline: new CodePipelineClient({ region: "us-east-1" }),
      cloudformation: cfn.client,
      artifacts: new FakeArtifactReader(),
      packages: new FakePackageStore(),
      executionRoleArn: CONFIG.STACK_EXECUTION_ROLE_ARN,
    });
    await handler(jobEvent(), context(remainingMs));
    const [success] = codepipeline.commandCalls(PutJobSuccessResultCommand);
    return {
      changeSets: cfn.inputs("CreateChangeSetCommand").length,
      continuing: success?.args[0].input.continuationToken !== undefined,
    };
  }

  test("stops after one round when Lambda's remaining time is under the reserve, and continues later", async () => {
    const short = await invokeWith(TIME_RESERVE_MS - 1);
    expect(short).toEqual({ changeSets: 1, continuing: true });
    expect(output.logs()).toContainEqual(
      expect.objectContaining({ level: "INFO", message: "job result", service: "pipeline-deployer" }),
    );
  });

  test("goes on to further rounds in the same invocation while time is left", async () => {
    const long = await invokeWith(15 * 60_000);
    expect(long.changeSets).toBeGreaterThan(1);
  });
});

describe("the deployer's composition (createDeployerDependenciesFromConfig)", () => {
  const s3 = mockClient(S3Client);
  afterAll(() => s3.restore());

  test("reads each job's artifact with a client holding that job's credentials, in the function's region", async () => {
    const zip = createZip([{ name: "manifest.json", data: Buffer.from("{}") }]);
    s3.on(GetObjectCommand, { Bucket: "pipeline-bucket", Key: "meridian/abc.zip" }).resolves({
      Body: {
        transformToByteArray: async () => new Uint8Array(zip),
      } as unknown as GetObjectCommandOutput["Body"],
    });
    const made: S3Client[] = [];
    const clients = createDeployerClients(CONFIG);
    const dependencies = createDeployerDependenciesFromConfig(CONFIG, logger, {
      ...clients,
      artifactS3: (credentials) => {
        const client = clients.artifactS3(credentials);
        made.push(client);
        return client;
      },
    });

    const files = await dependencies.artifacts.read(
      { bucket: "pipeline-bucket", key: "meridian/abc.zip" },
      CREDENTIALS,
    );

    expect(files.paths()).toEqual(["manifest.json"]);
    expect(made).toHaveLength(1);
    expect(await made[0]?.config.region()).toBe("eu-west-1");
    expect(await made[0]?.config.credentials()).toMatchObject(CREDENTIALS);
    expect(dependencies.executionRoleArn).toBe(CONFIG.STACK_EXECUTION_ROLE_ARN);
  });
});
