// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'protect-docker-socket',
    order: 3,
    title: 'protect-docker-socket',
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
