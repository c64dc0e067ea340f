import { z } from 'zod';
import { defineContract, defineModule, operation } from '../../packages/cleave/src/index.ts';

/** The payload every call benchmark sends. */
export interface Item {
  id: string;
  n: number;
}
export const payload: Item = { id: 'u_123', n: 42 };

/** Module b: `echo` returns its input, validated in and out as every Cleave call is. */
export const b = defineContract('b', {
  operations: {
    echo: operation({
      input: z.object({ id: z.string(), n: z.number() }),
      output: z.object({ id: z.string(), n: z.number() }),
    }),
  },
});
export const bModule = defineModule(b, { handlers: { echo: async (input) => input } });
