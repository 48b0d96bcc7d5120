import { describeEndToEnd } from './e2e.contract';

describeEndToEnd('memory drivers', async () => ({ standalone: { driver: 'memory' } }));
