import { createLogger } from '../log/log';
import { testRedisUrl, uniquePrefix } from '../testing/env';
import { describeQueue } from './queue.contract';
import { createRedisQueue } from './redis-queue';

const prefix = uniquePrefix('queue');
const log = createLogger({ component: 'redis-queue-test' });

describeQueue('redis', () => createRedisQueue({ url: testRedisUrl(), prefix, log }));
