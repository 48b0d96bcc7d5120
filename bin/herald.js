#!/usr/bin/env node
// herald [service]: runs one service, or all six in one process (standalone, the default).
'use strict';
const path = require('path');
const services = ['standalone', 'dispatcher', 'room', 'register', 'coordinator', 'saver', 'center'];
const name = process.argv[2] || 'standalone';
if (!services.includes(name)) {
  console.error(`herald: unknown service "${name}"; one of: ${services.join(', ')}`);
  process.exit(2);
}
require(path.join(__dirname, '..', 'dist', 'services', name, 'main.js'));
