import { describeSessionStore } from './session-store.contract';
import { createMemorySessionStore } from './memory-session-store';

describeSessionStore('memory', (opts) => createMemorySessionStore(opts));
