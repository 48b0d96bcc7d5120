import { describeSessionStore } from './session-store.contract';
import { describeTagIndex } from './tag-index.contract';
import { createMemorySessionStore } from './memory-session-store';

describeSessionStore('memory', (opts) => createMemorySessionStore(opts));
describeTagIndex('memory', () => createMemorySessionStore());
