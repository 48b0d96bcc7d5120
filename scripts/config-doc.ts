/** Prints every service's options as Markdown tables (pasted into the README's Configuration). */
import type { Schema } from '../shared/config/config';
import { centerSchema } from '../services/center/config';
import { coordinatorSchema } from '../services/coordinator/config';
import { dispatcherSchema } from '../services/dispatcher/config';
import { registerSchema } from '../services/register/config';
import { roomSchema } from '../services/room/config';
import { saverSchema } from '../services/saver/config';
import { standaloneSchema } from '../services/standalone/config';

const sections: [string, Schema][] = [
  ['standalone', standaloneSchema],
  ['room', roomSchema],
  ['center', centerSchema],
  ['dispatcher', dispatcherSchema],
  ['register', registerSchema],
  ['saver', saverSchema],
  ['coordinator', coordinatorSchema],
];

function envName(section: string, key: string): string {
  return `HERALD_${section.toUpperCase()}_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

for (const [section, schema] of sections) {
  process.stdout.write(`\n### ${section}\n\n| option | environment | default | meaning |\n| --- | --- | --- | --- |\n`);
  for (const [key, field] of Object.entries(schema)) {
    const def = JSON.stringify(field.default).replace(/\|/g, '\\|');
    process.stdout.write(`| \`${key}\` | \`${envName(section, key)}\` | \`${def}\` | ${field.doc.replace(/\|/g, '\\|')} |\n`);
  }
}
