import { createMemoryBus } from '@rowline/bus';
import { busContract } from './contract.js';

busContract('memory bus', (opts) => createMemoryBus(opts));
