// Small deterministic PRNG (mulberry32) and string hashing, so fault sequences and webinar runs
// are reproducible from a seed without any dependency.

export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a 32-bit. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function rngFor(...parts: (string | number)[]): Rng {
  return mulberry32(hash32(parts.join("|")));
}

export function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

const HEX = "0123456789ABCDEF";

/**
 * Uppercase hex key like ON24's audience/report keys. Rendered for every record of a list
 * (profile URLs), so one table lookup per digit rather than toString and toUpperCase.
 */
export function hexKey(rng: Rng, len = 32): string {
  let s = "";
  for (let i = 0; i < len; i++) s += HEX[Math.floor(rng() * 16)];
  return s;
}
