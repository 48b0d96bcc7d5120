import type { ScenarioName } from '../options';
import type { Scenario } from '../run';
import { broadcast } from './broadcast';
import { churn } from './churn';
import { hold } from './hold';
import { storm } from './storm';
import { unicast } from './unicast';

/** Every scenario by its command-line name. */
export const scenarios: Record<ScenarioName, Scenario> = { hold, unicast, broadcast, churn, storm };
