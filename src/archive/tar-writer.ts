import { once } from 'node:events';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { TAR_MTIME } from '../bundle/layout.js';

/**
 * TarEntrySource is one entry to put in the tar: its name, exact size, and how to open its body. A `directory`
 * entry has size 0 and no body (`open` is not called); `mode` defaults to 0644 for files and 0755 for directories.
 */
export interface TarEntrySource {
  name: string;
  size: number;
  open: () => Promise<Readable>;
  type?: 'file' | 'directory';
  mode?: number;
}

/**
 * createTarStream writes the entries, in order, as a reproducible ustar stream (fixed mtime, uid/gid 0, empty
 * owner names, mode 0644 unless given). Bodies are opened one at a time and streamed through, never held whole.
 */
export function createTarStream(entries: TarEntrySource[]): Readable {
  const pack = tar.pack();
  const feed = async (): Promise<void> => {
    for (const e of entries) {
      if (e.type === 'directory') {
        await new Promise<void>((resolve, reject) => {
          pack.entry({ name: e.name, size: 0, mode: e.mode ?? 0o755, mtime: TAR_MTIME, uid: 0, gid: 0, uname: '', gname: '', type: 'directory' }, (err) => (err ? reject(err) : resolve()));
        });
        continue;
      }
      const body = await e.open();
      let entryError: Error | null | undefined;
      const entry = pack.entry(
        { name: e.name, size: e.size, mode: e.mode ?? 0o644, mtime: TAR_MTIME, uid: 0, gid: 0, uname: '', gname: '', type: 'file' },
        (err) => {
          entryError = err;
        },
      );
      // The callback above receives the entry's error; without a listener, the pack's destroy below would make the
      // entry emit it as an uncaught 'error' (streamx).
      entry.on('error', () => undefined);
      try {
        for await (const chunk of body) {
          if (!entry.write(chunk as Buffer)) await once(entry, 'drain');
        }
      } catch (err) {
        body.destroy();
        throw err;
      }
      entry.end(null);
      await once(entry, 'finish');
      if (entryError) throw entryError;
    }
    pack.finalize();
  };
  feed().catch((err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))));
  return Readable.from(pack, { objectMode: false });
}
