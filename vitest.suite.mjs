// `npm test`: every project's test files in one pool of workers, so that a project's slow files
// never wait for another project to finish (nx starts the projects in dependency order: the CLI,
// which holds most of the time, came last). Each project keeps its own vitest.config.ts; `npx
// vitest run` in a project's folder runs that project alone, as before. The name is not
// vitest.config.*, so that nx infers no test target for the root.
import { relative } from 'node:path';
import { BaseSequencer } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// Longest first across all projects: the files this machine has timed, by their last duration;
// files it has not timed before them, largest first (vitest's own order sorts by project first).
class LongestFirst extends BaseSequencer {
  async sort(files) {
    const { cache, config } = this.ctx;
    const key = (f) => `${f.project.name}:${relative(config.root, f.moduleId)}`;
    const duration = (f) => cache.getFileTestResults(key(f))?.duration;
    const size = (f) => cache.getFileStats(key(f))?.size ?? 0;
    return [...files].sort((a, b) => {
      const [da, db] = [duration(a), duration(b)];
      if (da === undefined || db === undefined) {
        if (da !== db) return da === undefined ? -1 : 1;
        return size(b) - size(a);
      }
      return db - da;
    });
  }
}

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    // two files at a time, one a core: with three, and two busy processes beside them, the
    // real-time tests (a word spoken as the key goes down) starved. VITEST_MAX_WORKERS overrides it.
    maxWorkers: 2,
    passWithNoTests: true,
    sequence: { sequencer: LongestFirst },
  },
});
