import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";
import { normalisePassword } from "./password-rules";
import type { PasswordHasher } from "./ports";

export interface ScryptParameters {
  /** log2 of the CPU/memory cost N. */
  log2Cost: number;
  /** Block size r. */
  blockSize: number;
  /** Parallelization p. */
  parallelization: number;
  /** Derived key length in bytes. */
  keyLength: number;
  /** Salt length in bytes. */
  saltLength: number;
}

/** N = 2^15, r = 8, p = 1: about 32 MiB and tens of milliseconds per hash. */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = {
  log2Cost: 15,
  blockSize: 8,
  parallelization: 1,
  keyLength: 32,
  saltLength: 16,
};

// Stored hashes are parsed before use; refusing absurd parameters keeps a
// corrupted record from pinning the CPU or exhausting memory.
const LIMITS = { log2Cost: [1, 22], blockSize: [1, 32], parallelization: [1, 16] } as const;

const HASH_FORMAT = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * scrypt in a PHC-style string, `$scrypt$ln=15,r=8,p=1$<salt>$<key>`
 * (unpadded base64), so each hash carries its own parameters and the defaults
 * can be raised later without breaking existing users.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  private readonly parameters: ScryptParameters;

  constructor(parameters: Partial<ScryptParameters> = {}) {
    this.parameters = { ...DEFAULT_SCRYPT_PARAMETERS, ...parameters };
    assertWithinLimits(this.parameters.log2Cost, this.parameters.blockSize, this.parameters.parallelization);
  }

  async hash(password: string): Promise<string> {
    const { log2Cost, blockSize, parallelization, keyLength, saltLength } = this.parameters;
    const salt = randomBytes(saltLength);
    const key = await derive(password, salt, keyLength, log2Cost, blockSize, parallelization);
    return format(log2Cost, blockSize, parallelization, salt, key);
  }

  async verify(password: string, storedHash: string): Promise<boolean> {
    const parsed = parse(storedHash);
    const candidate = await derive(
      password,
      parsed.salt,
      parsed.key.length,
      parsed.log2Cost,
      parsed.blockSize,
      parsed.parallelization,
    );
    return timingSafeEqual(candidate, parsed.key);
  }

  needsRehash(storedHash: string): boolean {
    const { log2Cost, blockSize, parallelization, keyLength, saltLength } = this.parameters;
    const parsed = parse(storedHash);
    return (
      parsed.log2Cost !== log2Cost ||
      parsed.blockSize !== blockSize ||
      parsed.parallelization !== parallelization ||
      parsed.key.length !== keyLength ||
      parsed.salt.length !== saltLength
    );
  }

  dummyHash(): string {
    const { log2Cost, blockSize, parallelization, keyLength, saltLength } = this.parameters;
    return format(log2Cost, blockSize, parallelization, randomBytes(saltLength), randomBytes(keyLength));
  }
}

function format(
  log2Cost: number,
  blockSize: number,
  parallelization: number,
  salt: Buffer,
  key: Buffer,
): string {
  return `$scrypt$ln=${log2Cost},r=${blockSize},p=${parallelization}$${toBase64(salt)}$${toBase64(key)}`;
}

function parse(storedHash: string) {
  const match = HASH_FORMAT.exec(storedHash);
  if (!match) throw new Error("Stored password hash is not in the expected format");
  const [, ln, r, p, salt, key] = match;
  const parsed = {
    log2Cost: Number(ln),
    blockSize: Number(r),
    parallelization: Number(p),
    salt: Buffer.from(salt ?? "", "base64"),
    key: Buffer.from(key ?? "", "base64"),
  };
  assertWithinLimits(parsed.log2Cost, parsed.blockSize, parsed.parallelization);
  if (parsed.salt.length === 0 || parsed.key.length === 0) {
    throw new Error("Stored password hash has an empty salt or key");
  }
  return parsed;
}

function assertWithinLimits(log2Cost: number, blockSize: number, parallelization: number): void {
  const within = (value: number, [min, max]: readonly [number, number]) =>
    Number.isInteger(value) && value >= min && value <= max;
  if (
    !within(log2Cost, LIMITS.log2Cost) ||
    !within(blockSize, LIMITS.blockSize) ||
    !within(parallelization, LIMITS.parallelization)
  ) {
    throw new Error("scrypt parameters out of range");
  }
}

function derive(
  password: string,
  salt: Buffer,
  keyLength: number,
  log2Cost: number,
  blockSize: number,
  parallelization: number,
): Promise<Buffer> {
  const cost = 2 ** log2Cost;
  const options: ScryptOptions = {
    N: cost,
    r: blockSize,
    p: parallelization,
    // Node's default maxmem (32 MiB) is just below what N=2^15, r=8 needs
    // (OpenSSL counts 128*r*(N+p+2) bytes), so it is derived from the
    // parameters, with headroom, instead of failing at the default.
    maxmem: 128 * blockSize * (cost + parallelization + 2) + 1024 * 1024,
  };
  // The same form the password rules count, so what registers is what logs in.
  const secret = Buffer.from(normalisePassword(password), "utf8");
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function toBase64(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, "");
}
