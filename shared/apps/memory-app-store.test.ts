import { describeAppStore } from './app-store.contract';
import { createAppStore } from './app-store';

describeAppStore('memory', async (apps) => createAppStore({ driver: 'memory', apps }));
