// Every domain of the catalog, in a fixed order (the generator draws from this list by index).
import type { Domain } from '../framework';
import { email } from './email';

export const DOMAINS: readonly Domain[] = [email];
