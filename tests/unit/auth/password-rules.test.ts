import { dictionary } from "@zxcvbn-ts/language-common";
import { COMMON_PASSWORDS, MIN_COMMON_PASSWORD_LENGTH } from "../../../src/auth/domain/common-passwords";
import { ScryptPasswordHasher } from "../../../src/auth/domain/password-hasher";
import { registerRequestSchema } from "../../../src/auth/register-schema";
import { loginRequestSchema } from "../../../src/auth/schemas";

const register = (password: string) => registerRequestSchema.safeParse({ username: "alice", password });
const login = (password: string) => loginRequestSchema.safeParse({ username: "alice", password });
const messageOf = (result: ReturnType<typeof register>) =>
  result.success ? "" : result.error.issues.map((issue) => issue.message).join("; ");

describe("registration password rules", () => {
  it.each([
    ["a passphrase", "correct horse battery staple"],
    ["12 distinct emoji", "😀😃😄😁😆😅🤣😂🙂🙃😉😊"],
    ["128 characters", `${"correct horse battery staple ".repeat(4)}${"x".repeat(12)}`],
    ["a composed accent counted once", `caf\u00e9 au lait, s'il vous pla\u00eet`],
  ])("accepts %s", (_, password) => {
    expect(messageOf(register(password))).toBe("");
  });

  it("counts characters after the NFKC normalisation the hash applies", async () => {
    // "e" + combining acute, six times: 12 code points as sent, 6 as hashed.
    const decomposed = "e\u0301".repeat(6);
    expect(register(decomposed).success).toBe(false);
    expect(messageOf(register(decomposed))).toMatch(/12-128 characters/);
    // What registers is what logs in: the hash sees the same string the count did.
    const hasher = new ScryptPasswordHasher({ log2Cost: 4 });
    const hash = await hasher.hash("voil\u0061\u0300 un mot de passe");
    await expect(hasher.verify("voil\u00e0 un mot de passe", hash)).resolves.toBe(true);
    // A full-width password longer than 128 code points only after normalisation is refused too.
    expect(register("\ufdfa".repeat(8)).success).toBe(false);
  });

  it.each([
    ["a lone high surrogate", "correct horse \ud83d battery"],
    ["a lone low surrogate", "correct horse \ude00 battery"],
    ["a NUL", "correct horse\u0000battery staple"],
    ["a newline", "correct horse\nbattery staple"],
    ["DEL", "correct horse\u007fbattery staple"],
    ["a C1 control", "correct horse\u0085battery staple"],
  ])("refuses %s", (_, password) => {
    expect(messageOf(register(password))).toMatch(/control characters or unpaired surrogates/);
  });

  it.each([
    ["12 spaces", " ".repeat(12)],
    ["one character repeated", "a".repeat(20)],
    ["a short unit repeated", "abcabcabcabc"],
    ["a word twice", "passwordpassword"],
    ["a run of digits", "123456789012"],
    ["a descending run", "987654321098"],
    ["a run of the alphabet", "abcdefghijklmn"],
    ["a keyboard row", "qwertyuiopasdf".slice(0, 10).concat("qw")],
    ["a common password", "qwerty123456"],
    ["a common password in capitals", "QWERTY123456"],
    ["a common password in full-width digits", "qwerty\uff11\uff12\uff13\uff14\uff15\uff16"],
  ])("refuses %s as too easy to guess", (_, password) => {
    expect(messageOf(register(password))).toMatch(/too easy to guess/);
  });
});

describe("login password rules", () => {
  it("counts after normalisation too, so every registered password can log in", () => {
    // 129 code points as sent, 86 as hashed: registrable, so it must reach the password check.
    const password = `${"e\u0301".repeat(43)}${"x".repeat(43)}`;
    expect([...password].length).toBe(129);
    expect(register(password).success).toBe(true);
    expect(login(password).success).toBe(true);
    expect(login("x".repeat(129)).success).toBe(false);
  });

  it("passes weak, common and odd passwords to the password check (a wrong password is a 401, not a 400)", () => {
    expect.hasAssertions();
    for (const password of [" ".repeat(12), "qwerty123456", "short", "correct horse\u0000battery"]) {
      expect(login(password).success).toBe(true);
    }
  });
});

describe("the common-password list", () => {
  it("is every password of zxcvbn-ts's common list that the length rule alone would let through", () => {
    const expected = [
      ...new Set(
        dictionary["passwords-common"]
          .map((password) => password.normalize("NFKC").toLowerCase())
          .filter((password) => [...password].length >= MIN_COMMON_PASSWORD_LENGTH),
      ),
    ].sort();
    expect([...COMMON_PASSWORDS].sort()).toEqual(expected);
  });
});
