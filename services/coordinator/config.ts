import { int, type ConfigOf } from '../../shared/config/config';

/** Coordinator options. Upstream routes, status callbacks and kick come with their own issue. */
export const coordinatorSchema = {
  shutdownTimeoutMs: int(10_000, 'hard bound on stop()', 100),
};
export type CoordinatorConfig = ConfigOf<typeof coordinatorSchema>;
