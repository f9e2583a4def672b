/**
 * Bech32 (BIP 173, not bech32m) as age uses it for `age1...` recipients and
 * `AGE-SECRET-KEY-1...` identities. Written out here (it is short) rather than
 * importing @scure/base, which is only a transitive dependency of
 * age-encryption. Like age, no 90-character length limit is enforced.
 */
const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i];
  }
  return chk;
}

function hrpExpand(hrp: string): number[] {
  const codes = [...hrp].map((c) => c.charCodeAt(0));
  return [...codes.map((c) => c >> 5), 0, ...codes.map((c) => c & 31)];
}

/** Regroups bits; returns undefined on non-zero or over-long padding when decoding. */
function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const mask = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    acc = (acc << from) | data[i];
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & mask);
    }
    acc &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & mask);
  } else if (bits >= from || acc !== 0) {
    return undefined;
  }
  return out;
}

/** Encodes bytes under `hrp`; upper-cases the result if `hrp` is upper case (age identities). */
export function encodeBech32(hrp: string, bytes: Uint8Array): string {
  const lower = hrp.toLowerCase();
  const data = convertBits(bytes, 8, 5, true)!;
  const checksum = polymod([...hrpExpand(lower), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  for (let i = 0; i < 6; i++) data.push((checksum >>> (5 * (5 - i))) & 31);
  const s = lower + "1" + data.map((d) => CHARSET[d]).join("");
  return hrp === lower ? s : s.toUpperCase();
}

/** Decodes a bech32 string; the returned hrp keeps the input's case. Undefined if invalid. */
export function decodeBech32(s: string): { hrp: string; bytes: Buffer } | undefined {
  const lower = s.toLowerCase();
  if (s !== lower && s !== s.toUpperCase()) return undefined; // mixed case
  const sep = lower.lastIndexOf("1");
  if (sep < 1 || sep + 7 > lower.length) return undefined;
  const hrp = lower.slice(0, sep);
  if (![...hrp].every((c) => c >= "!" && c <= "~")) return undefined;
  const data: number[] = [];
  for (const c of lower.slice(sep + 1)) {
    const d = CHARSET.indexOf(c);
    if (d < 0) return undefined;
    data.push(d);
  }
  if (polymod([...hrpExpand(hrp), ...data]) !== 1) return undefined;
  const bytes = convertBits(data.slice(0, -6), 5, 8, false);
  return bytes && { hrp: s.slice(0, sep), bytes: Buffer.from(bytes) };
}
