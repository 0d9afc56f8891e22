import { createKafkaBus } from '@rowline/bus';
import { kafkaServer } from '@rowline/testing';
import { busContract } from './contract.js';

busContract('kafka bus', async (opts) => {
  const { brokers } = await kafkaServer();
  return createKafkaBus({ brokers, clientId: 'bus-contract', ...opts });
});
