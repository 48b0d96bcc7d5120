import { createMemoryQueue } from './memory-queue';
import { describeQueue } from './queue.contract';

describeQueue('memory', () => createMemoryQueue());
