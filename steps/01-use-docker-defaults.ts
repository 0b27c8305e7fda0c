// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'use-docker-defaults',
    order: 1,
    title: 'use-docker-defaults',
    scope: 'both',
    targets: ['host', 'dockerfile', 'compose'],
    summary: '',
    explain: '',
    references: [],
  },
  async check() {
    throw new Error('not implemented');
  },
});
