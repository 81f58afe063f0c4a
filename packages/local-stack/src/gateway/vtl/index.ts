export { type RequestFacts, templateContext } from "./context";
export { BodyNotJson, GatewayInput, type RequestParameters } from "./input";
export { MappingTemplate, TemplateUnsupported } from "./template";
export {
  base64Decode,
  escapeJavaScript,
  TemplateRuntimeError,
  urlDecode,
  urlEncode,
} from "./util";
