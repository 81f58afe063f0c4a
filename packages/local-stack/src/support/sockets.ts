import type { Server } from "node:net";

/** Everything local binds here: nothing is reachable from the network. */
export const HOST = "127.0.0.1";

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
      `Port${list.length > 1 ? "s" : ""} ${described} ${list.length > 1 ? "are" : "is"} already in use on ${HOST}` +
        ` (another \`npm start\`?). Stop whatever uses ${list.length > 1 ? "them" : "it"}, or choose another: npm start -- ${alternative}`,
    );
    this.name = "PortInUseError";
    this.ports = list;
  }
}

/** Listens on 127.0.0.1; resolves to the bound port (useful with port 0). */
export function listen(server: Server, port: number, what: string, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      reject(error.code === "EADDRINUSE" ? new PortInUseError({ port, what, flag }) : error);
    };
    const onListening = (): void => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, HOST);
  });
}

/** Closes a server and the keep-alive connections that would otherwise hold it open. */
export function closeServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
