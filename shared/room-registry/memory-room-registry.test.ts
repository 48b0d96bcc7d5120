import { describeRoomRegistry } from './room-registry.contract';
import { createMemoryRoomRegistry } from './memory-room-registry';

describeRoomRegistry('memory', () => createMemoryRoomRegistry());
