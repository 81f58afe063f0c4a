/**
 * Finite IEEE 754 doubles for property tests and the fuzzer, weighted toward
 * the values that break things: subnormals, magnitudes below DynamoDB's
 * 1e-130, -0, the bounds of a range and the doubles next to them. Seeded, so a
 * failure can be replayed.
 */

/** mulberry32: small, fast, seedable; plenty for test inputs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const view = new DataView(new ArrayBuffer(8));

/** The double with these 64 bits. */
function fromBits(high: number, low: number): number {
  view.setUint32(0, high >>> 0);
  view.setUint32(4, low >>> 0);
  return view.getFloat64(0);
}

/** The next double toward +Infinity (or -Infinity with `down`). */
export function nextDouble(value: number, down = false): number {
  if (Number.isNaN(value)) return value;
  if (value === 0) return down ? -Number.MIN_VALUE : Number.MIN_VALUE;
  view.setFloat64(0, value);
  let bits = view.getBigUint64(0);
  const towardZero = value > 0 === down;
  bits = towardZero ? bits - 1n : bits + 1n;
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

/** A finite double in [-bound, bound] drawn from a mix of edge-heavy distributions. */
export function edgyDouble(random: () => number, bound: number): number {
  const sign = random() < 0.5 ? -1 : 1;
  const pick = Math.floor(random() * 8);
  const u32 = () => Math.floor(random() * 2 ** 32);
  switch (pick) {
    case 0:
      // Subnormal: exponent bits zero, random mantissa.
      return sign * fromBits(u32() & 0x000fffff, u32());
    case 1:
      // A power of ten anywhere from 1e-323 to 1e0, times a random leading digit.
      return sign * Math.min(bound, (1 + Math.floor(random() * 9)) * 10 ** -Math.floor(random() * 324));
    case 2: {
      // A random bit pattern with an exponent below 1e-130's.
      const exponent = 1 + Math.floor(random() * 590);
      return sign * fromBits(((exponent << 20) | (u32() & 0x000fffff)) >>> 0, u32());
    }
    case 3:
      return [0, -0, bound, -bound, nextDouble(bound, true), -nextDouble(bound, true)][
        Math.floor(random() * 6)
      ] as number;
    case 4:
      // Many digits: a uniform double in range, rarely short in decimal.
      return sign * random() * bound;
    case 5:
      // Halfway cases for rounding to 7 decimals.
      return sign * Math.min(bound, (Math.floor(random() * bound * 1e7) + 0.5) / 1e7);
    case 6:
      return sign * Number.MIN_VALUE * (1 + Math.floor(random() * 1000));
    default: {
      // Any finite double, scaled into range.
      let value = fromBits(u32(), u32());
      while (!Number.isFinite(value)) value = fromBits(u32(), u32());
      return Math.abs(value) > bound ? value % bound : value;
    }
  }
}
