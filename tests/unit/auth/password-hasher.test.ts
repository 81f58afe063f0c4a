import { DEFAULT_SCRYPT_PARAMETERS, ScryptPasswordHasher } from "../../../src/auth/domain/password-hasher";

// Production cost is 2^15; unit tests use 2^4 so the suite stays fast.
const cheap = new ScryptPasswordHasher({ log2Cost: 4 });
const PASSWORD = "correct horse battery";

describe("ScryptPasswordHasher", () => {
  it("verifies the right password and rejects a wrong one", async () => {
    const stored = await cheap.hash(PASSWORD);
    await expect(cheap.verify(PASSWORD, stored)).resolves.toBe(true);
    await expect(cheap.verify("correct horse battery!", stored)).resolves.toBe(false);
  });

  it("salts every hash differently", async () => {
    const [first, second] = await Promise.all([cheap.hash(PASSWORD), cheap.hash(PASSWORD)]);
    expect(first).not.toBe(second);
    expect(first?.split("$")[3]).not.toBe(second?.split("$")[3]);
  });

  it("stores the algorithm, its parameters, a 16-byte salt and the key", async () => {
    const stored = await cheap.hash(PASSWORD);
    const match = /^\$scrypt\$ln=4,r=8,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
    expect(match).not.toBeNull();
    expect(Buffer.from(match?.[1] ?? "", "base64")).toHaveLength(16);
    expect(Buffer.from(match?.[2] ?? "", "base64")).toHaveLength(32);
  });

  it("verifies with the parameters stored in the hash, so defaults can be raised later", async () => {
    const stored = await cheap.hash(PASSWORD);
    const stronger = new ScryptPasswordHasher({ log2Cost: 6 });
    await expect(stronger.verify(PASSWORD, stored)).resolves.toBe(true);
  });

  it("asks for a rehash only when a stored hash's parameters differ from the current ones", async () => {
    const stored = await cheap.hash(PASSWORD);
    expect(cheap.needsRehash(stored)).toBe(false);
    expect(new ScryptPasswordHasher({ log2Cost: 6 }).needsRehash(stored)).toBe(true);
    expect(new ScryptPasswordHasher({ log2Cost: 4, blockSize: 4 }).needsRehash(stored)).toBe(true);
    expect(new ScryptPasswordHasher({ log2Cost: 4, keyLength: 64 }).needsRehash(stored)).toBe(true);
    expect(new ScryptPasswordHasher({ log2Cost: 4, saltLength: 32 }).needsRehash(stored)).toBe(true);
  });

  it("treats canonically equivalent passwords as the same password", async () => {
    const stored = await cheap.hash("caf\u00e9-au-lait-please");
    await expect(cheap.verify("cafe\u0301-au-lait-please", stored)).resolves.toBe(true);
  });

  it("makes dummy hashes that are well formed and match nothing", async () => {
    const dummy = cheap.dummyHash();
    expect(dummy).toMatch(/^\$scrypt\$ln=4,r=8,p=1\$/);
    await expect(cheap.verify(PASSWORD, dummy)).resolves.toBe(false);
    expect(cheap.dummyHash()).not.toBe(dummy);
  });

  it("refuses malformed or absurd stored hashes instead of treating them as a mismatch", async () => {
    await expect(cheap.verify(PASSWORD, "plaintext")).rejects.toThrow(/format/);
    await expect(cheap.verify(PASSWORD, "$scrypt$ln=40,r=8,p=1$c2FsdA$a2V5")).rejects.toThrow(/range/);
  });

  it("is strong by default and runs at that cost within Node's memory limit", async () => {
    expect(DEFAULT_SCRYPT_PARAMETERS).toMatchObject({ log2Cost: 15, blockSize: 8, parallelization: 1 });
    const strong = new ScryptPasswordHasher();
    const stored = await strong.hash(PASSWORD);
    expect(stored.startsWith("$scrypt$ln=15,r=8,p=1$")).toBe(true);
    await expect(strong.verify(PASSWORD, stored)).resolves.toBe(true);
  });
});
