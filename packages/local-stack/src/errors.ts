import { LOCAL_HOST } from "./constants";

/**
 * Every error the local stack raises on purpose. `LocalStackError`s are meant
 * for the person running the stack (printed as their message, no trace);
 * `TemplateError`s name the template and property at fault; `AwsError`s are
 * answered to a client as the AWS service would (`__type`, status).
 */

/** An error meant for the person running the stack: printed as its message, without a stack trace. */
export class LocalStackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LocalStackError";
  }
}

export interface TakenPort {
  port: number;
  what: string;
  /** The `npm start` option choosing this port. */
  flag: string;
}

export class PortInUseError extends LocalStackError {
  readonly ports: TakenPort[];

  constructor(ports: TakenPort | TakenPort[]) {
    const list = Array.isArray(ports) ? ports : [ports];
    const described = list.map((taken) => `${taken.port} (${taken.what})`).join(", ");
    const alternative = list.map((taken) => `${taken.flag} ${taken.port + 1}`).join(" ");
    super(
      `Port${list.length > 1 ? "s" : ""} ${described} ${list.length > 1 ? "are" : "is"} already in use on ${LOCAL_HOST}` +
        ` (another \`npm start\`?). Stop whatever uses ${list.length > 1 ? "them" : "it"}, or choose another: npm start -- ${alternative}`,
    );
    this.name = "PortInUseError";
    this.ports = list;
  }
}

/** A template the stack cannot run, naming the file and property. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/** An error an AWS API reports with this `__type` (and HTTP status). */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}
