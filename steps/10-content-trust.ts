// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'content-trust',
    order: 10,
    title: 'content-trust',
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
