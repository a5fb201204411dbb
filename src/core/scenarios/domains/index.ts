// Every domain of the catalog, in a fixed order (the generator draws from this list by index).
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

export const DOMAINS: readonly Domain[] = [email, banking, files, calendar, home, health, shopping, messaging, devops, travel];
