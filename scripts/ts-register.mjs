// `node --import ./scripts/ts-register.mjs`: installs scripts/ts-hooks.mjs (TypeScript sources
// importable without a build; for tests that start worker threads from src/).
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
