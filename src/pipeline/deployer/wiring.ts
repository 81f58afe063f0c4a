import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { S3Client } from "@aws-sdk/client-s3";
import { loadConfig, nonEmpty } from "../../shared/config";
import { createLogger, loadLoggerConfig } from "../../shared/observability";
import { S3ArtifactReader } from "./artifact";
import type { DeployerDependencies } from "./job";
import { S3PackageStore } from "./package-store";

/** Composition root: read once per cold start; a missing variable fails the first invocation loudly. */
const config = loadConfig({
  AWS_REGION: nonEmpty,
  ARTIFACT_BUCKET: nonEmpty,
  STACK_EXECUTION_ROLE_ARN: nonEmpty,
});

export const dependencies: Omit<DeployerDependencies, "remainingTimeMs"> = {
  logger: createLogger(loadLoggerConfig()),
  codepipeline: new CodePipelineClient({}),
  cloudformation: new CloudFormationClient({}),
  codedeploy: new CodeDeployClient({}),
  artifacts: new S3ArtifactReader(config.AWS_REGION),
  packages: new S3PackageStore(new S3Client({}), config.ARTIFACT_BUCKET, config.AWS_REGION),
  executionRoleArn: config.STACK_EXECUTION_ROLE_ARN,
};
