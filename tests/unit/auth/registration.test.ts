import { ScryptPasswordHasher } from "../../../src/auth/domain/password-hasher";
import { createRegistrationService } from "../../../src/auth/domain/registration";
import { ConflictError } from "../../../src/shared/errors";
import { errorToResult } from "../../../src/shared/http";
import { InMemoryUserRepository, ManualClock, rejectionOf } from "./fakes";

const hasher = new ScryptPasswordHasher({ log2Cost: 4 });

describe("RegistrationService", () => {
  it("creates a user with a new id and a hashed password", async () => {
    const users = new InMemoryUserRepository();
    const clock = new ManualClock();
    const service = createRegistrationService({ users, hasher, clock: clock.now });

    const registered = await service.register("alice", "a long enough password");

    expect(registered.username).toBe("alice");
    expect(registered.userId).toMatch(/^[0-9a-f-]{36}$/);
    const stored = users.users.get("alice");
    expect(stored).toMatchObject({ userId: registered.userId, createdAt: "2025-01-01T00:00:00.000Z" });
    expect(stored?.passwordHash).not.toContain("a long enough password");
    await expect(hasher.verify("a long enough password", stored?.passwordHash ?? "")).resolves.toBe(true);
  });

  it("rejects a taken username with 409 and keeps the first user", async () => {
    const users = new InMemoryUserRepository();
    const service = createRegistrationService({ users, hasher });
    const first = await service.register("alice", "a long enough password");

    const error = await rejectionOf(service.register("alice", "another long password"));

    expect(error).toBeInstanceOf(ConflictError);
    expect(errorToResult(error).status).toBe(409);
    expect(users.users.get("alice")?.userId).toBe(first.userId);
  });

  it("lets exactly one of two racing registrations win", async () => {
    const service = createRegistrationService({ users: new InMemoryUserRepository(), hasher });
    const outcomes = await Promise.allSettled([
      service.register("bob", "a long enough password"),
      service.register("bob", "a long enough password"),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((outcome) => outcome.status === "rejected");
    expect(rejected?.status === "rejected" && rejected.reason).toBeInstanceOf(ConflictError);
  });
});
