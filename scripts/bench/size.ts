/** The bench's size: `--size 1G`, `--size 10G`, `--size 512M` (or a number of MiB), else `BENCH_MIB`, else 1 GiB. */

const MIB = 1024 * 1024;

/** BenchSize is how much model data the bench moves, and its label in file names (`1G`, `512M`). */
export interface BenchSize {
  bytes: number;
  label: string;
}

/** parseBenchSize reads a size flag or the `BENCH_MIB` value; it throws on anything else. */
export function parseBenchSize(flag: string | undefined, envMib: string | undefined): BenchSize {
  let mib: number;
  if (flag !== undefined) {
    const m = /^(\d+(?:\.\d+)?)\s*([MG])?(?:i?B)?$/i.exec(flag.trim());
    if (m === null) throw new Error(`--size ${flag}: give a size such as 512M, 1G or 10G`);
    mib = Number(m[1]) * (m[2]?.toUpperCase() === 'G' ? 1024 : 1);
  } else {
    mib = envMib === undefined ? 1024 : Number(envMib);
  }
  if (!Number.isInteger(mib) || mib < 4) throw new Error(`size ${flag ?? envMib}: a whole number of MiB, at least 4`);
  return { bytes: mib * MIB, label: mib % 1024 === 0 ? `${mib / 1024}G` : `${mib}M` };
}
