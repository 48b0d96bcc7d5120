#!/usr/bin/env node
// herald [service]: runs one service, or all six in one process (standalone, the default).
// Each service reads its options from HERALD_<SECTION>_<KEY> variables (see deploy/).
'use strict';
const path = require('path');
const services = ['standalone', 'dispatcher', 'room', 'register', 'coordinator', 'saver', 'center'];
const name = process.argv[2] || 'standalone';
if (name === '-h' || name === '--help' || name === 'help') {
  console.log(`usage: herald [${services.join('|')}]  (default standalone; options from HERALD_* variables, see deploy/README.md)`);
  process.exit(0);
}
if (!services.includes(name)) {
  console.error(`herald: unknown service "${name}"; one of: ${services.join(', ')}`);
  process.exit(2);
}
require(path.join(__dirname, '..', 'dist', 'services', name, 'main.js'));
