import { CommandRegistry } from './cli.js';
import { analyzeCommand } from './commands/analyze.js';
import { auditVerifyCommand } from './commands/audit-verify.js';

export { CliError, type CliIO, type Command, CommandRegistry, main, processIO } from './cli.js';
export { analysisToJson, analyzeCommand, loadSchema } from './commands/analyze.js';
export { auditVerifyCommand } from './commands/audit-verify.js';

/** The registry of the `rampart` binary. Other packages add their commands with `commands.register(…)`. */
export const commands: CommandRegistry = new CommandRegistry().register(analyzeCommand).register(auditVerifyCommand);
