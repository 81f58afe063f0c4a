export * from "./aws-endpoint";
export * from "./control-plane";
export * from "./dynamodb";
export * from "./dynamodb-access";
export * from "./dynamodb-proxy";
export * from "./schedules";
export * from "./secret-store";
export * from "./ssm-store";
