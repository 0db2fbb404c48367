import { writeFileSync } from 'node:fs';

// Preloaded (`node -r`) into a CLI process by runCliProcess: writes its peak RSS in KiB where asked, as it exits.
const target = process.env.REPORT_MAX_RSS_TO;
if (target) process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS)));
