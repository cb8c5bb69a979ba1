// Exits 1 if a conformance results directory holds a failed check that is not marked untestable.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let bad = 0;
for (const run of readdirSync(dir)) {
  const checks = JSON.parse(readFileSync(join(dir, run, 'checks.json'), 'utf8'));
  for (const check of checks) {
    if (check.status === 'FAILURE' && !(check.details && check.details.untestable)) {
      console.error(`FAIL ${run}: ${check.id}: ${check.errorMessage}`);
      bad += 1;
    }
  }
}
process.exit(bad ? 1 : 0);
