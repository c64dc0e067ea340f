// A service hosting `work` in its own process, for the test that SIGKILLs it mid-job.
import { settingsFromEnv, startService } from '../../src/index.ts';
import { jobsApp, oneService } from './jobs-app.ts';

const service = await startService({ app: jobsApp, topology: oneService, listen: false, settings: settingsFromEnv({ ...process.env, LOG_LEVEL: 'silent' }) });
process.stdout.write('started\n');
process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
