export * from "./data-dir";
export * from "./ids";
export * from "./json-file";
export * from "./logs";
export * from "./request-body";
export * from "./sockets";
