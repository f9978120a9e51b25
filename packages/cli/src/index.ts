import { analyzeCommand } from './commands/analyze.js';
import { auditVerifyCommand } from './commands/audit-verify.js';
import { reportCommand } from './commands/report.js';
import { CommandRegistry } from './registry.js';

export { CliError, type CliIO, type Command, EXIT_USAGE } from './cli.js';
export { main } from './main.js';
export { CommandRegistry } from './registry.js';

/** The registry of the `rampart` binary. Other packages add their commands with `commands.register(…)`. */
export const commands: CommandRegistry = new CommandRegistry()
  .register(analyzeCommand)
  .register(auditVerifyCommand)
  .register(reportCommand);
