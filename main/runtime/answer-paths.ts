// Answers that leave main for a page (Electron IPC, browser-mode HTTP and its event stream) carry no absolute path:
// the data folder becomes "<data folder>" and the home folder "~". The CLI, acting for the OS user, is not wrapped;
// nor are main's own calls (the download route reads the path a channel resolved).
import os from 'node:os';
import path from 'node:path';
import type { Dispatch } from './dispatcher';

export const DATA_FOLDER = '<data folder>';

/** A function that rewrites every string in a JSON-like value, replacing the data folder and home prefixes. */
export function pathRedactor(dataDir: string, home: string = os.homedir()): <T>(value: T) => T {
  const data = path.resolve(dataDir);
  const homeDir = home && home !== path.sep ? path.resolve(home) : null;
  const text = (s: string): string => {
    let out = s.split(data).join(DATA_FOLDER);
    if (homeDir) out = out.split(homeDir).join('~');
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return <T>(value: T) => walk(value) as T;
}

/** The dispatcher as a page transport sees it: the same answers, with local paths taken out. */
export function withoutLocalPaths(dispatch: Dispatch, dataDir: string): Dispatch {
  const redact = pathRedactor(dataDir);
  return async (channel, input, caller) => redact(await dispatch(channel, input, caller));
}
