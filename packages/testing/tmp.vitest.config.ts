import { mergeConfig } from 'vitest/config';
import base from '../../vitest.config.ts';
export default mergeConfig(base, { root: '/work/main', test: { globalSetup: ['/work/main/packages/testing/src/global-setup.ts'] } });
