/**
 * The services' APIs, reached on this page's own origin: CloudFront (on AWS)
 * and the local gateway (npm start) both serve each service under /<service>/.
 */
import { currentSession } from "./session";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Location {
  latitude: number;
  longitude: number;
  updatedAt: string;
}

export interface PublicProfile {
  userId: string;
  displayName: string;
  bio: string;
  location: Location | null;
  locationStatus?: "unavailable";
}

export interface SavedProfile {
  userId: string;
  displayName: string;
  bio: string;
  version: number;
  updatedAt: string;
}

export interface Comment {
  commentId: string;
  profileUserId: string;
  authorId: string;
  authorName: string;
  message: string;
  createdAt: string;
}

export interface CommentPage {
  comments: Comment[];
  nextToken?: string;
}

interface Reply<T> {
  body: T;
  etag: string | null;
}

/** The error's own message when the API sent one, otherwise what the status says. */
function errorFrom(status: number, statusText: string, body: unknown): ApiError {
  const record = (body ?? {}) as Record<string, unknown>;
  const error = record.error as { code?: unknown; message?: unknown } | undefined;
  if (error && typeof error.message === "string") {
    return new ApiError(status, typeof error.code === "string" ? error.code : String(status), error.message);
  }
  for (const key of ["message", "Message", "error_message"]) {
    const message = record[key];
    if (typeof message === "string") return new ApiError(status, String(status), message);
  }
  return new ApiError(status, String(status), `The server answered ${status} ${statusText}`.trim());
}

async function request<T>(
  method: string,
  path: string,
  options: { body?: unknown; auth?: boolean; ifMatch?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.ifMatch) headers["If-Match"] = options.ifMatch;
  if (options.auth) {
    const session = currentSession();
    if (!session) throw new ApiError(401, "SIGNED_OUT", "Your session has ended: log in again");
    headers.Authorization = `Bearer ${session.token}`;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch {
    throw new ApiError(0, "NETWORK", "Could not reach the server: check your connection and try again");
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw errorFrom(response.status, response.statusText, body);
  if (body === null && response.status !== 204) {
    throw new ApiError(
      response.status,
      "NOT_JSON",
      `${method} ${path.split("?")[0]} answered with no JSON: is that service deployed?`,
    );
  }
  return { body: body as T, etag: response.headers.get("ETag") };
}

const segment = encodeURIComponent;

export const api = {
  signUp: (username: string, password: string) =>
    request<{ userId: string; username: string }>("POST", "/auth/users", { body: { username, password } }),
  logIn: (username: string, password: string) =>
    request<{ token: string; expiresIn: number }>("POST", "/auth/tokens", { body: { username, password } }),
  getProfile: (userId: string) => request<PublicProfile>("GET", `/profile/profiles/${segment(userId)}`),
  putProfile: (userId: string, profile: { displayName: string; bio: string }, version: string | null) =>
    request<SavedProfile>("PUT", `/profile/profiles/${segment(userId)}`, {
      body: profile,
      auth: true,
      ...(version ? { ifMatch: version } : {}),
    }),
  putLocation: (userId: string, latitude: number, longitude: number) =>
    request<Location>("PUT", `/location/locations/${segment(userId)}`, {
      body: { latitude, longitude },
      auth: true,
    }),
  listComments: (userId: string, nextToken?: string) => {
    const query = new URLSearchParams({ limit: "10" });
    if (nextToken) query.set("nextToken", nextToken);
    return request<CommentPage>("GET", `/comments/profiles/${segment(userId)}/comments?${query}`);
  },
  postComment: (userId: string, message: string) =>
    request<Comment>("POST", `/comments/profiles/${segment(userId)}/comments`, {
      body: { message },
      auth: true,
    }),
  deleteComment: (userId: string, commentId: string) =>
    request<null>("DELETE", `/comments/profiles/${segment(userId)}/comments/${segment(commentId)}`, {
      auth: true,
    }),
};

export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
