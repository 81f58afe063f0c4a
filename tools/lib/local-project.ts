import type { LocalProject } from "@meridian/local-stack";
import { listFunctions } from "./functions";
import {
  deployOrder,
  loadEnvironment,
  loadServices,
  ROOT,
  stackName,
  templateConfiguration,
} from "./project";

/** This repository as the local stack runs it: src/<service>, environments.yaml, `meridian-<env>-<service>` stacks. */
export const meridianProject: LocalProject = {
  root: ROOT,
  loadServices: (srcDir) => deployOrder(loadServices(srcDir)),
  loadEnvironment,
  stackName,
  templateConfiguration,
  listFunctions,
};
