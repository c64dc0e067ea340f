import { cleave } from '../../../../cleave.ts';

// Every /api/v1/* request goes to Cleave's gateway as it came: routing, authentication,
// rate limits, aggregation and problem+json errors are the gateway's.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = cleave;
export const HEAD = cleave;
export const POST = cleave;
export const PUT = cleave;
export const PATCH = cleave;
export const DELETE = cleave;
export const OPTIONS = cleave;
