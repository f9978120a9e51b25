#!/usr/bin/env node
import { commands, main } from './index.js';

process.exitCode = await main(process.argv.slice(2), commands);
