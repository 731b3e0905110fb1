/** TarEntryAt is one entry of a ustar stream: its name, where its data starts, and its size. */
export interface TarEntryAt {
  name: string;
  data: number;
  size: number;
}

/** tarEntries lists the entries of a ustar stream held in memory (plain names, no pax or GNU long names). */
export function tarEntries(tar: Buffer): TarEntryAt[] {
  const out: TarEntryAt[] = [];
  const field = (at: number, length: number): string => tar.subarray(at, at + length).toString('utf8').replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = field(at, 100);
    if (name === '') break;
    const size = parseInt(field(at + 124, 12).trim(), 8);
    out.push({ name, data: at + 512, size });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
