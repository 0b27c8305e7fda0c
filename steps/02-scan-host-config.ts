// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'scan-host-config',
    order: 2,
    title: 'scan-host-config',
    scope: 'host',
    targets: ['host'],
    summary: '',
    explain: '',
    references: [],
  },
  async check() {
    throw new Error('not implemented');
  },
});
