import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { CodePipelineClient } from "@aws-sdk/client-codepipeline";
import { S3Client } from "@aws-sdk/client-s3";
import { type ConfigOf, nonEmpty } from "../../shared/config";
import type { Logger } from "../../shared/observability";
import { type ArtifactCredentials, S3ArtifactReader } from "./artifact";
import type { DeployerJobDependencies } from "./job";
import { S3PackageStore } from "./package-store";

/** What pipeline.yaml gives the deployer function. */
export const deployerEnvironment = {
  AWS_REGION: nonEmpty,
  ARTIFACT_BUCKET: nonEmpty,
  STACK_EXECUTION_ROLE_ARN: nonEmpty,
};
export type DeployerConfig = ConfigOf<typeof deployerEnvironment>;

export interface DeployerClients {
  codepipeline: CodePipelineClient;
  cloudformation: CloudFormationClient;
  codedeploy: CodeDeployClient;
  /** The package bucket's client, with the function's own role. */
  s3: S3Client;
  /** A client for one job's artifact, with the credentials CodePipeline hands that job. */
  artifactS3: (credentials: ArtifactCredentials) => S3Client;
}

export function createDeployerClients(config: DeployerConfig): DeployerClients {
  return {
    codepipeline: new CodePipelineClient({}),
    cloudformation: new CloudFormationClient({}),
    codedeploy: new CodeDeployClient({}),
    s3: new S3Client({}),
    artifactS3: (credentials) => new S3Client({ region: config.AWS_REGION, credentials }),
  };
}

export function createDeployerDependenciesFromConfig(
  config: DeployerConfig,
  logger: Logger,
  clients: DeployerClients = createDeployerClients(config),
): DeployerJobDependencies {
  return {
    logger,
    codepipeline: clients.codepipeline,
    cloudformation: clients.cloudformation,
    codedeploy: clients.codedeploy,
    artifacts: new S3ArtifactReader(clients.artifactS3),
    packages: new S3PackageStore(clients.s3, config.ARTIFACT_BUCKET, config.AWS_REGION),
    executionRoleArn: config.STACK_EXECUTION_ROLE_ARN,
  };
}
