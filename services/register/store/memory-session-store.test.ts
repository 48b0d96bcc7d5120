import { describeSessionStore } from './session-store.contract';
import { describeTagIndex } from './tag-index.contract';
import { createMemorySessionStore } from './memory-session-store';

// Memory data is lost only with the process: the store after the loss is a new one.
describeSessionStore('memory', (opts) => createMemorySessionStore(opts), async (old) => {
  await old.close();
  return createMemorySessionStore();
});
describeTagIndex('memory', () => createMemorySessionStore());
