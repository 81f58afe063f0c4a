// The local stack's own JSON-reply fetch, for tests of the services it runs.
export { call, type JsonReply } from "@meridian/local-stack";
