/**
 * `--watch`: a module is reloaded when one of its files (or a path its config lists under "watch")
 * changes. Directories are watched rather than files, as editors often replace a file by renaming a
 * new one over it; changes within DEBOUNCE_MS of each other make one reload.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ModuleProcess } from './module-process.js';

const DEBOUNCE_MS = 150;

/** Watches every module's files; returns the closer. */
export function watchModules(modules: readonly ModuleProcess[]): () => void {
  const watchers: FSWatcher[] = [];
  const timers = new Set<NodeJS.Timeout>();
  for (const module of modules) {
    let timer: NodeJS.Timeout | undefined;
    const changed = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timers.delete(timer!);
        void module.reload();
      }, DEBOUNCE_MS);
      timers.add(timer);
    };
    // A directory per file, filtered by the file's name; a listed directory as a whole, recursively.
    const byDir = new Map<string, Set<string> | 'all'>();
    for (const file of module.spec.files) {
      const names = byDir.get(dirname(file));
      if (names === 'all') continue;
      byDir.set(dirname(file), (names ?? new Set()).add(basename(file)));
    }
    for (const path of module.spec.watch) {
      if (isDirectory(path)) byDir.set(path, 'all');
      else byDir.set(dirname(path), ((byDir.get(dirname(path)) as Set<string> | undefined) ?? new Set()).add(basename(path)));
    }
    for (const [dir, names] of byDir) {
      const watcher = watch(dir, { recursive: names === 'all' }, (_event, name) => {
        if (names === 'all' || (name !== null && names.has(basename(name)))) changed();
      });
      watcher.on('error', () => {});
      watchers.push(watcher);
    }
  }
  return () => {
    for (const watcher of watchers) watcher.close();
    for (const timer of timers) clearTimeout(timer);
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
