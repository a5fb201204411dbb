// Every domain of the catalog, in a fixed order (the generator draws from this list by index).
import { withComposedTools } from '../compose';
import type { Domain } from '../framework';
import { banking } from './banking';
import { calendar } from './calendar';
import { devops } from './devops';
import { email } from './email';
import { files } from './files';
import { health } from './health';
import { home } from './home';
import { messaging } from './messaging';
import { shopping } from './shopping';
import { travel } from './travel';

/** The domains as written here: their own tools, worlds and intents, the held-out (test) tools among them. */
export const HAND_WRITTEN_DOMAINS: readonly Domain[] = [email, banking, files, calendar, home, health, shopping, messaging, devops, travel];

/** Each domain with its composed tools (../compose.ts) added: the catalog. */
export const DOMAINS: readonly Domain[] = HAND_WRITTEN_DOMAINS.map(withComposedTools);
